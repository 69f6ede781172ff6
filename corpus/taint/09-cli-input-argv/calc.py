"""Interactive calculator for the support shell: `python calc.py`."""

import math

FUNCTIONS = {"sqrt": math.sqrt, "log": math.log, "pi": math.pi, "ceil": math.ceil}


def main():
    print("Type an expression, or 'quit'.")
    while True:
        try:
            line = input("calc> ")
        except EOFError:
            break
        if line.strip() in {"quit", "exit"}:
            break
        try:
            print(eval(line, {"__builtins__": {}}, FUNCTIONS))  # expect: py.code-eval
        except Exception as exc:  # noqa: BLE001 - show any error to the user
            print(f"error: {exc}")


if __name__ == "__main__":
    main()
