# Outside a handler there is nothing to print; the old three-argument form with no traceback
# object prints the last exception without its frames.
import traceback

print(repr(traceback.format_exc()))
traceback.print_exc()
print(traceback.format_exception(None))


def f():
    try:
        int("x")
    except ValueError:
        raise RuntimeError("wrapped")


try:
    f()
except RuntimeError as e:
    print("".join(traceback.format_exception(type(e), e, None)), end="")
    print(traceback.format_exception_only(type(e), e))
