import threading

errors = []


def hook(args):
    errors.append((args.thread.name, args.exc_type.__name__, str(args.exc_value)))


threading.excepthook = hook


def fail(n):
    if n % 2:
        raise ValueError(f"odd {n}")
    return n


ts = [threading.Thread(target=fail, args=(i,), name=f"job{i}") for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for e in sorted(errors):
    print(e)
