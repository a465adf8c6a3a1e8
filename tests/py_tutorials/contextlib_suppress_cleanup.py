from contextlib import contextmanager, suppress, nullcontext
import threading

lock = threading.Lock()
log = []


@contextmanager
def tracked(name):
    log.append(f"enter {name}")
    try:
        yield name.upper()
    finally:
        log.append(f"exit {name}")


with tracked("a") as value:
    log.append(value)

with suppress(ZeroDivisionError):
    with tracked("b"):
        1 / 0
print(log)

data = {"x": 1}
with suppress(KeyError):
    del data["missing"]
print(data)


def maybe_locked(use_lock):
    cm = lock if use_lock else nullcontext()
    with cm:
        return lock.locked()


print(maybe_locked(True), maybe_locked(False))
