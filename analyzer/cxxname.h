/* cxxname.h - short, readable names for demangled C++ functions
 *
 * A demangled C++ name can run to kilobytes (the template arguments of an
 * STL algorithm), and the destructor variants of one class demangle to the
 * same text.  The report names a function by the shortest of three levels
 * of detail that sets it apart from every other function of the report:
 *
 *   CXXNAME_SHORT   std::vector<…>::push_back, Registry::sort_by_area::{lambda}:
 *                   every template argument list is "<…>", no return type,
 *                   no parameter list, no ABI tag, no clone suffix
 *   CXXNAME_PARAMS  the same with the parameter lists (f(int), f(double)),
 *                   their own template arguments still "<…>", qualifiers,
 *                   lambda numbers and clone suffixes
 *   CXXNAME_ARGS1   the same with the outermost template arguments
 *                   (__normal_iterator<Item const*, std::vector<…> >::base() const)
 *   CXXNAME_ARGS2   the same, two levels of template arguments deep
 *   CXXNAME_FULL    the demangled name as it is
 *
 * A deleting destructor (D0) always carries " [deleting]"; a base-object
 * constructor or destructor (C2/D2), when it is a function apart from the
 * complete-object one (C1/D1: a class with virtual bases), carries
 * " [base]" when it would otherwise share the complete one's name.  When
 * D1 and D2 are one function (the usual case), it is one entry, one name.
 */
#ifndef PARAPROF_CXXNAME_H
#define PARAPROF_CXXNAME_H

#include <stddef.h>

struct pp_profile;
struct sym_cache;

enum cxxname_level { CXXNAME_SHORT, CXXNAME_PARAMS, CXXNAME_ARGS1, CXXNAME_ARGS2,
		    CXXNAME_FULL };

/* What a mangled name says of a constructor or destructor. */
enum cxxname_variant {
	CXXNAME_PLAIN,		/* not a constructor or destructor, or C1/D1 */
	CXXNAME_DELETING,	/* D0: destroys, then calls operator delete */
	CXXNAME_BASE,		/* C2/D2: the base-object variant */
};

/*
 * Writes `full` (a demangled name) at `level` into out (`cap` bytes, cut
 * there, always NUL-terminated when cap > 0).  A name that is not C++ (no
 * "::", "<" nor "(") comes out unchanged.  Returns the length of the whole
 * result, as snprintf() does.
 */
size_t cxxname_shorten(const char *full, enum cxxname_level level, char *out, size_t cap);

/* The variant of the mangled name `mangled` (NULL allowed: PLAIN). */
enum cxxname_variant cxxname_variant(const char *mangled);

/*
 * Names every function entry of prof that the report will print: resolves
 * its full name through sc (NULL: none; "module+0xOFFSET" when no symbol
 * holds it, report_fallback_text()), keeps it in e->full_name, and sets
 * e->name to its shortest distinct form as above, or to the full name when
 * `full_names` is set (--full-names).  Entries already named are renamed
 * from their full name (a report built again shortens the same way).  The
 * strings live in the profile's arena or the symbol cache.  Returns 0, or -1
 * when memory runs out.
 */
int cxxname_assign(struct pp_profile *prof, struct sym_cache *sc, int full_names);

/*
 * Whether the name proper of `full` (after any return type) is in the
 * standard library's namespaces (std::, __gnu_cxx::, __cxxabiv1::): the
 * "std:: internals" of the report's recommendation.
 */
int cxxname_is_std(const char *full);

#endif /* PARAPROF_CXXNAME_H */
