def read_numbers(n):
    for i in range(1, n + 1):
        yield i


def only_even(numbers):
    for x in numbers:
        if x % 2 == 0:
            yield x


def squared(numbers):
    yield from (x * x for x in numbers)


pipeline = squared(only_even(read_numbers(20)))
print(next(pipeline))
print(list(pipeline))


def fibonacci():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b


fib = fibonacci()
print([next(fib) for _ in range(15)])
print(144 in fibonacci())


def averager():
    total = count = 0
    average = None
    while True:
        value = yield average
        total += value
        count += 1
        average = total / count


avg = averager()
next(avg)
for v in [10, 20, 30, 40]:
    print(avg.send(v))
