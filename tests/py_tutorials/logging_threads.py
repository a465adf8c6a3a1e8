import logging
import threading

logging.basicConfig(level=logging.DEBUG, format="%(threadName)s: %(levelname)s %(message)s")


def worker(n):
    logging.debug("starting %d", n)
    logging.info("working")


t = threading.Thread(target=worker, args=(1,), name="Worker-1")
t.start()
t.join()
logging.warning("main done")
log = logging.getLogger("app")
log.error("something %s", "bad")
print("stdout is clean")
