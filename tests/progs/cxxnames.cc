// cxxnames.cc - C++ names for tests/integration/report_cxx.sh: std::sort
// over a vector of a struct with a lambda (deep templates), an overloaded
// pair geo::scale(int)/geo::scale(double), and geo::Rect deleted through a
// geo::Shape pointer (a virtual destructor: the deleting variant D0 and the
// complete one), and geo::Mid, with a virtual base, whose complete (D1) and
// base-object (D2) destructors are two functions.  "cxxnames sort" sorts
// enough for std:: internals to hold most of the time; "cxxnames light"
// spends it in its own loop instead.  Known counts: scale(int) 3 calls,
// scale(double) 5, 7 Rects deleted, 2 Mids and 4 Leafs destroyed.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace geo {

struct Shape {
	virtual ~Shape();
	virtual double area() const = 0;
};

Shape::~Shape() {}

struct Rect : Shape {
	double w, h;
	Rect(double w_, double h_) : w(w_), h(h_) {}
	~Rect() override;
	double area() const override { return w * h; }
};

Rect::~Rect() { w = h = 0; }

struct VBase {
	virtual ~VBase();
	int v = 1;
};

VBase::~VBase() { v = 0; }

struct Mid : virtual VBase {
	~Mid();
};

Mid::~Mid() { v = 2; }

struct Leaf : Mid {
	~Leaf();
};

Leaf::~Leaf() { v = 3; }

__attribute__((noinline)) double scale(int x) { return x * 2.0; }
__attribute__((noinline)) double scale(double x) { return x * 3.0; }

} // namespace geo

struct Item {
	double w, h;
	int id;
};

struct Registry {
	std::vector<Item> items;
	void fill(int n);
	void sort_by_area();
};

void Registry::fill(int n)
{
	unsigned seed = 12345;

	items.clear();
	for (int i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		items.push_back(Item{ (double)(seed % 1000), (double)(seed / 1000 % 1000), i });
	}
}

void Registry::sort_by_area()
{
	std::sort(items.begin(), items.end(),
		  [](const Item &a, const Item &b) { return a.w * a.h < b.w * b.h; });
}

static volatile double sink;

__attribute__((noinline)) static void own_work(void)
{
	double x = 0;

	for (int i = 0; i < 20000000; i++)
		x += i * 0.5;
	sink = x;
}

int main(int argc, char **argv)
{
	Registry reg;
	int sort = argc > 1 && std::strcmp(argv[1], "sort") == 0;

	for (int i = 0; i < 3; i++)
		sink = geo::scale(i);
	for (int i = 0; i < 5; i++)
		sink = geo::scale(i + 0.5);
	for (int i = 0; i < 7; i++) {
		geo::Shape *s = new geo::Rect(i, 2);

		sink = s->area();
		delete s;
	}
	for (int i = 0; i < 2; i++) {
		geo::Mid m;

		sink = m.v;
	}
	for (int i = 0; i < 4; i++) {
		geo::Leaf l;

		sink = l.v;
	}
	reg.fill(sort ? 20000 : 200);
	for (int k = 0; k < (sort ? 5 : 1); k++) {
		reg.fill(sort ? 20000 : 200);
		reg.sort_by_area();
	}
	if (!sort)
		own_work();
	std::printf("%d\n", reg.items.empty() ? -1 : reg.items[0].id);
	return 0;
}
