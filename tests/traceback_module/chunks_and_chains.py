# format_exception's list is CPython's chunks: the header, one per frame with its source and
# carets, each chaining message, the exception line.
import sys
import traceback

try:
    {}["k"]
except KeyError as e:
    print(traceback.format_exc(), end="")
    print(traceback.format_exception(e))
    print(traceback.format_exception_only(e))
    traceback.print_exception(e, file=sys.stdout)


def inner():
    int("x")


def outer():
    try:
        inner()
    except ValueError:
        raise RuntimeError("wrapped")


try:
    outer()
except RuntimeError as e:
    lines = traceback.format_exception(e)
    print(len(lines))
    print(lines)

try:
    try:
        1 / 0
    except ZeroDivisionError as z:
        raise LookupError("cause") from z
except LookupError:
    traceback.print_exc(file=sys.stdout)
    traceback.print_exc()
