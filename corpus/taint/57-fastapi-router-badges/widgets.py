"""HTML fragments for the badges."""

COLOURS = {"passing": "#4c1", "failing": "#e05d44", "unknown": "#9f9f9f"}


def badge_html(label, status):
    colour = COLOURS.get(status, COLOURS["unknown"])
    return (
        f'<span class="badge"><span class="label">{label}</span>'
        f'<span class="status" style="background:{colour}">{status}</span></span>'
    )
