"""Client for the supplier's order API."""

import requests

SUPPLIER_URL = "https://supplier.example.com/api/orders"


def place_order(order, token):
    return requests.post(  # planted: py.tls-verification-disabled
        SUPPLIER_URL,
        json=order,
        headers={"Authorization": f"Bearer {token}"},
        verify=False,
        timeout=10,
    )


def place_order_with_private_ca(order, token, ca_bundle):
    # safe: verification stays on, against the deployment's own CA bundle.
    return requests.post(SUPPLIER_URL, json=order, headers={"Authorization": f"Bearer {token}"},
                         verify=ca_bundle, timeout=10)


def supplier_status():
    # The status page is public and unauthenticated; reviewed and accepted.
    return requests.get("https://status.example.com", verify=False, timeout=5)  # nosec B501
