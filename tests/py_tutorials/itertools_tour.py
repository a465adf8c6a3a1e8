import itertools
import operator

print(list(itertools.islice(itertools.count(10, 5), 4)))
print(list(itertools.chain([1, 2], "ab", range(2))))
print(list(itertools.product("AB", repeat=2)))
print(list(itertools.permutations([1, 2, 3], 2)))
print(list(itertools.combinations("ABCD", 2)))
print(list(itertools.accumulate([1, 2, 3, 4, 5])))
print(list(itertools.accumulate([1, 2, 3, 4], operator.mul)))
for key, group in itertools.groupby("AAABBCDD"):
    print(key, list(group))
print(list(itertools.repeat("x", 3)))
print(list(itertools.islice(itertools.cycle("abc"), 7)))
print(list(itertools.zip_longest("abc", [1], fillvalue="-")))
print(list(itertools.starmap(pow, [(2, 3), (3, 2)])))
print(list(itertools.takewhile(lambda x: x < 3, [1, 2, 3, 1])))
print(list(itertools.dropwhile(lambda x: x < 3, [1, 2, 3, 1])))
print(list(itertools.pairwise([1, 2, 4, 7])))
a, b = itertools.tee(iter("xyz"))
print(list(a), list(b))
