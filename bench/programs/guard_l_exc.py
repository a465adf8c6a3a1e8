# The guard's copy of l_exceptions.py (bench/guard.py), scaled down for callgrind.
# Exceptions raised and caught in a loop, with try/finally (issue 21's suite).
def parse(s):
    try:
        return int(s)
    except ValueError:
        return -1


def check(i):
    if i % 3 == 0:
        raise KeyError(i)
    return i


def main():
    good = 0
    bad = 0
    done = 0
    for i in range(5_000):
        try:
            good += check(i)
        except KeyError:
            bad += 1
        finally:
            done += 1
        good += parse("12" if i % 2 else "x")
    print(good, bad, done)


main()
