# A worker thread that catches its exception and prints it: the usual use in a course.
import threading
import traceback


def risky(n):
    return 10 // n


def worker(n, out):
    try:
        out.append(risky(n))
    except ZeroDivisionError:
        traceback.print_exc()
        out.append(None)


out = []
ts = [threading.Thread(target=worker, args=(n, out)) for n in (0, 5)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(out, key=str))
