// torture_cxx.cc - the C++ part of the torture test (tests/progs/torture.c
// execs it from a forked child): 100 times, descend() recurses to depth 10
// and throws; catcher() catches; then leaf() 1000 times.  The exit hooks
// run as the exception unwinds each frame (gcc emits them in cleanups), so
// no frame is abandoned.  Writes DIR/expect.<pid>.cxx as torture.c does.
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

static volatile int sink;

extern "C" {
void descend(int depth);
void leaf(void);
void catcher(void);
}

void descend(int depth)
{
	if (depth == 10)
		throw std::runtime_error("deep");
	descend(depth + 1);
	sink++;
}

void leaf(void)
{
	sink++;
}

void catcher(void)
{
	try {
		descend(1);
	} catch (const std::exception &) {
		sink++;
	}
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	FILE *f;

	if (argc < 2) {
		std::fprintf(stderr, "usage: torture_cxx DIR\n");
		return 2;
	}
	for (int i = 0; i < 100; i++)
		catcher();
	for (int i = 0; i < 1000; i++)
		leaf();
	std::snprintf(path, sizeof(path), "%s/expect.%d.cxx", argv[1], (int)getpid());
	f = std::fopen(path, "w");
	if (!f)
		return 99;
	std::fprintf(f, "pid=%d cmd=%s %s\n", (int)getpid(), argv[0], argv[1]);
	std::fprintf(f, "fn main 1 0\nfn catcher 100 0\nfn descend 1000 0\nfn leaf 1000 0\n");
	return std::fclose(f) == 0 ? 0 : 99;
}
