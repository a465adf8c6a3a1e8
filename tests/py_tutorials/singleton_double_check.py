import threading


class Config:
    _instance = None
    _lock = threading.Lock()

    def __new__(cls):
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
                    cls._instance.values = {}
        return cls._instance


ids = set()
lock = threading.Lock()


def get():
    c = Config()
    with lock:
        ids.add(id(c))


ts = [threading.Thread(target=get) for _ in range(8)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(len(ids), Config() is Config())
