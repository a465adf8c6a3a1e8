# limit= and chain=False are refused, not ignored.
import traceback

try:
    1 / 0
except ZeroDivisionError:
    try:
        traceback.print_exc(limit=1)
    except NotImplementedError as e:
        print(e)
    try:
        traceback.format_exc(chain=False)
    except NotImplementedError as e:
        print(e)
