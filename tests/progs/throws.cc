// throws.cc - 100 times: descend() recurses to depth 10 and throws; caught in
// catcher(); then leaf() is called 1000 times and must be counted exactly.
#include <cstdio>
#include <stdexcept>

static volatile int sink;

void descend(int depth);
void leaf();
void catcher();

void descend(int depth)
{
	if (depth == 10)
		throw std::runtime_error("deep");
	descend(depth + 1);
	sink++;
}

void leaf() { sink++; }

void catcher()
{
	try {
		descend(1);
	} catch (const std::exception &) {
		sink++;
	}
}

int main()
{
	for (int i = 0; i < 100; i++)
		catcher();
	for (int i = 0; i < 1000; i++)
		leaf();
	std::puts("done");
	return 0;
}
