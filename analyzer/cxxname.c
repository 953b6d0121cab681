/* cxxname.c - short, readable names for demangled C++ functions
 *
 * See cxxname.h.  The shortening reads the demangler's output, not the
 * mangled name: a demangled name is [return type ' '] qualified name
 * ['(' parameters ')' [qualifiers]] [" [clone .x]"...], and the scanner
 * only needs to match brackets.  Inside a template argument list only the
 * angle brackets outside parentheses count (the demangler puts an
 * expression such as "(1>2)" in parentheses), and the symbol of an
 * "operator<", "operator->" or "operator()" is copied as one token so that
 * it never counts as a bracket.  A name whose brackets do not add up (not
 * something the demangler makes) is cut where it runs out, never read past.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cxxname.h"
#include "profile.h"
#include "report.h"
#include "symbols.h"

/* An output buffer that counts what it could not hold, as snprintf does. */
struct cx_out {
	char *s;
	size_t cap, len;
};

static void cx_putn(struct cx_out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t room = o->cap - o->len - 1, k = n < room ? n : room;

		memcpy(o->s + o->len, s, k);
		o->s[o->len + k] = '\0';
	}
	o->len += n;
}

static void cx_puts(struct cx_out *o, const char *s)
{
	cx_putn(o, s, strlen(s));
}

static int is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Whether s[i..] is the keyword "operator" standing alone. */
static int at_operator(const char *s, size_t i, size_t end)
{
	return end - i >= 8 && memcmp(s + i, "operator", 8) == 0 && (i == 0 || !is_ident(s[i - 1])) &&
	       (i + 8 == end || !is_ident(s[i + 8]));
}

/*
 * The end of the operator token that starts at s[i] ("operator" included):
 * its symbol ("<<=", "()", "[]", "->*", " new[]", "\"\" _x"...).  A
 * conversion operator ("operator int") ends after the keyword: its type is
 * read as any other text.
 */
static size_t skip_operator(const char *s, size_t i, size_t end)
{
	static const char *const ops[] = {
		"->*", "<<=", ">>=", "<=>", "()", "[]", "->", "<<", ">>", "<=", ">=", "==",
		"!=", "&&", "||", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=",
		"^=", "+", "-", "*", "/", "%", "^", "&", "|", "~", "!", "=", "<", ">", ",",
	};
	static const char *const words[] = { " new[]", " delete[]", " new", " delete",
					     " co_await" };

	i += 8;
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t n = strlen(ops[k]);

		if (end - i >= n && memcmp(s + i, ops[k], n) == 0)
			return i + n;
	}
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		size_t n = strlen(words[k]);

		if (end - i >= n && memcmp(s + i, words[k], n) == 0 &&
		    (i + n == end || !is_ident(s[i + n])))
			return i + n;
	}
	if (end - i >= 2 && s[i] == '"' && s[i + 1] == '"') {	/* operator"" _suffix */
		i += 2;
		while (i < end && (s[i] == ' ' || is_ident(s[i])))
			i++;
	}
	return i;
}

/*
 * The index just past the group that opens at s[i] ('(', '[', '{' or '<')
 * and its matching closer; `end` when it does not close.
 */
static size_t skip_group(const char *s, size_t i, size_t end)
{
	char stack[64];
	size_t depth = 0;

	while (i < end) {
		char c = s[i];

		if (is_ident(c)) {
			if (at_operator(s, i, end)) {
				i = skip_operator(s, i, end);
				continue;
			}
			while (i < end && is_ident(s[i]))
				i++;
			continue;
		}
		if (c == '(' || c == '[' || c == '{' ||
		    (c == '<' && (depth == 0 || stack[depth - 1] == '<'))) {
			if (depth == sizeof(stack))
				return end;
			stack[depth++] = c;
		} else if (depth && ((c == ')' && stack[depth - 1] == '(') ||
				     (c == ']' && stack[depth - 1] == '[') ||
				     (c == '}' && stack[depth - 1] == '{') ||
				     (c == '>' && stack[depth - 1] == '<'))) {
			if (--depth == 0)
				return i + 1;
		}
		i++;
	}
	return end;
}

static int starts(const char *s, size_t i, size_t end, const char *word)
{
	size_t n = strlen(word);

	return end - i >= n && memcmp(s + i, word, n) == 0;
}

/* After a dropped parameter list: its qualifiers up to the next "::". */
static size_t skip_quals(const char *s, size_t i, size_t end)
{
	static const char *const quals[] = { " const", " volatile", " &&", " &" };

	for (int again = 1; again;) {
		again = 0;
		for (size_t k = 0; k < sizeof(quals) / sizeof(quals[0]); k++) {
			if (starts(s, i, end, quals[k])) {
				i += strlen(quals[k]);
				again = 1;
			}
		}
	}
	return i;
}

/*
 * Writes s[i..end) at `level` (SHORT or PARAMS): template argument lists
 * as "<…>"; ABI tags dropped; at SHORT, the parameter lists of enclosing
 * functions ("f(int)::{lambda...}") dropped and a lambda or unnamed type
 * as "{lambda}" / "{unnamed type}".
 */
static void emit(struct cx_out *o, const char *s, size_t i, size_t end, enum cxxname_level level,
		 int tdepth)
{
	while (i < end) {
		char c = s[i];
		size_t close;

		if (is_ident(c)) {
			size_t from = i;

			if (at_operator(s, i, end))
				i = skip_operator(s, i, end);
			else
				while (i < end && is_ident(s[i]))
					i++;
			cx_putn(o, s + from, i - from);
			continue;
		}
		if (c != '<' && c != '(' && c != '[' && c != '{') {
			cx_putn(o, &c, 1);
			i++;
			continue;
		}
		close = skip_group(s, i, end);
		if (c == '<' && tdepth > 0) {
			int closed = close > i + 1 && s[close - 1] == '>';

			cx_putn(o, &c, 1);
			emit(o, s, i + 1, closed ? close - 1 : close, level, tdepth - 1);
			if (closed)
				cx_putn(o, ">", 1);
		} else if (c == '<') {
			cx_puts(o, "<…>");
		} else if (c == '[' && starts(s, i, end, "[abi:")) {
			;	/* [abi:cxx11]: the linker's business */
		} else if (c == '(' && starts(s, i, end, "(anonymous namespace)")) {
			cx_putn(o, s + i, close - i);
		} else if (level == CXXNAME_SHORT && c == '(') {
			close = skip_quals(s, close, end);
		} else if (level == CXXNAME_SHORT && c == '{') {
			size_t w = i + 1;

			while (w < close && s[w] != '(' && s[w] != '#' && s[w] != '}')
				w++;
			cx_putn(o, s + i, w - i);
			cx_puts(o, "}");
		} else {
			/* kept, with what is inside it written the same way */
			char closer = c == '(' ? ')' : c == '[' ? ']' : '}';
			int closed = close > i + 1 && s[close - 1] == closer;

			cx_putn(o, &c, 1);
			emit(o, s, i + 1, closed ? close - 1 : close, level, tdepth);
			if (closed)
				cx_putn(o, &closer, 1);
		}
		i = close;
	}
}

/* Prefixes the demangler puts before a special function's name. */
static const char *const special_prefixes[] = {
	"non-virtual thunk to ", "virtual thunk to ", "covariant return thunk to ",
	"transaction clone for ",
};

/* The parts of a demangled name. */
struct cx_parts {
	size_t prefix_end;	/* end of a special prefix, else 0 */
	size_t name;		/* start of the qualified name (after the return type) */
	size_t params;		/* its '(' or body_end when there is none */
	size_t params_end;	/* just past the ')' */
	size_t body_end;	/* start of " [clone ...]" or the end */
};

static void cx_split(const char *s, struct cx_parts *p)
{
	size_t end = strlen(s), i, last_space = 0;
	const char *clone = strstr(s, " [clone ");
	int have_space = 0, have_op = 0;

	memset(p, 0, sizeof(*p));
	for (size_t k = 0; k < sizeof(special_prefixes) / sizeof(special_prefixes[0]); k++)
		if (strncmp(s, special_prefixes[k], strlen(special_prefixes[k])) == 0)
			p->prefix_end = strlen(special_prefixes[k]);
	p->body_end = end = clone ? (size_t)(clone - s) : end;
	p->params = p->params_end = end;
	/* The parameter list is the last group in parentheses not followed by
	 * "::" (that one is an enclosing function's); the return type ends at
	 * the last space before it, outside brackets and operator names. */
	for (i = p->prefix_end; i < end;) {
		char c = s[i];

		if (is_ident(c)) {
			if (at_operator(s, i, end)) {
				have_op = 1;
				i = skip_operator(s, i, end);
				continue;
			}
			while (i < end && is_ident(s[i]))
				i++;
			continue;
		}
		if (c == ' ' && !have_op && p->params == end) {
			last_space = i;
			have_space = 1;
		} else if (c == '(' || c == '<' || c == '[' || c == '{') {
			size_t close = skip_group(s, i, end), after = skip_quals(s, close, end);

			if (c == '(' && starts(s, after, end, "::")) {
				close = after;	/* an enclosing function's, and its const */
			} else if (c == '(' && !starts(s, i, end, "(anonymous namespace)")) {
				p->params = i;
				p->params_end = close;
			}
			i = close;
			continue;
		} else if (c == ':' && p->params != end) {
			p->params = p->params_end = end;	/* it was not the last */
		}
		i++;
	}
	p->name = have_space ? last_space + 1 : p->prefix_end;
	if (p->name > p->params)
		p->name = p->prefix_end;
}

/* Whether the name looks demangled C++: something to shorten. */
static int cx_is_cxx(const char *s)
{
	return strstr(s, "::") || strchr(s, '<') || strchr(s, '(');
}

size_t cxxname_shorten(const char *full, enum cxxname_level level, char *out, size_t cap)
{
	struct cx_out o = { out, cap, 0 };
	struct cx_parts p;
	int tdepth;

	if (cap)
		out[0] = '\0';
	if (level == CXXNAME_FULL || !cx_is_cxx(full)) {
		cx_puts(&o, full);
		return o.len;
	}
	cx_split(full, &p);
	tdepth = level >= CXXNAME_ARGS1 ? (int)(level - CXXNAME_ARGS1) + 1 : 0;
	cx_putn(&o, full, p.prefix_end);
	emit(&o, full, p.name, p.params, level, tdepth);
	if (level == CXXNAME_SHORT) {
		/* a lambda's body is "{lambda}::operator()": the lambda says it */
		static const char call[] = "}::operator()";

		if (o.len < o.cap && o.len >= sizeof(call) - 1 &&
		    strcmp(o.s + o.len - (sizeof(call) - 1), call) == 0) {
			o.len -= sizeof(call) - 2;
			o.s[o.len] = '\0';
		}
		return o.len;
	}
	if (p.params < p.body_end) {
		emit(&o, full, p.params, p.params_end, level, tdepth);
		cx_putn(&o, full + p.params_end, p.body_end - p.params_end);	/* const, && */
	}
	cx_puts(&o, full + p.body_end);	/* [clone .constprop.0] */
	return o.len;
}

enum cxxname_variant cxxname_variant(const char *m)
{
	if (!m || m[0] != '_' || m[1] != 'Z')
		return CXXNAME_PLAIN;
	/* The first <ctor-dtor-name> (C1..C5, D0..D5 before the end of the
	 * nested name, its template arguments or an ABI tag) after an
	 * identifier, a template argument list or a substitution. */
	for (size_t i = 3; m[i] && m[i + 1] && m[i + 2]; i++) {
		char prev = m[i - 1], next = m[i + 2];

		if ((m[i] != 'C' && m[i] != 'D') || m[i + 1] < '0' || m[i + 1] > '5' ||
		    (next != 'E' && next != 'I' && next != 'B') ||
		    !(isalpha((unsigned char)prev) || prev == '_'))
			continue;
		if (m[i] == 'D' && m[i + 1] == '0')
			return CXXNAME_DELETING;
		return m[i + 1] == '2' ? CXXNAME_BASE : CXXNAME_PLAIN;
	}
	return CXXNAME_PLAIN;
}

/* Whether the short name `s` names a constructor or a destructor: its last
 * component is its class's name ("A<…>::A", "A<…>::~A"). */
static int cx_is_ctor_dtor(const char *s)
{
	const char *last = NULL, *prev = s, *p;
	size_t n;

	for (p = strstr(s, "::"); p; p = strstr(p + 2, "::")) {
		prev = last ? last + 2 : s;
		last = p;
	}
	if (!last)
		return 0;
	p = last + 2;
	if (*p == '~')
		p++;
	n = (size_t)(last - prev);
	if (n > strlen("<…>") && strncmp(last - strlen("<…>"), "<…>", strlen("<…>")) == 0)
		n -= strlen("<…>");
	return strlen(p) == n && strncmp(p, prev, n) == 0;
}

int cxxname_is_std(const char *full)
{
	struct cx_parts p;
	const char *n;

	if (!full)
		return 0;
	cx_split(full, &p);
	n = full + p.name;
	return strncmp(n, "std::", 5) == 0 || strncmp(n, "__gnu_cxx::", 11) == 0 ||
	       strncmp(n, "__cxxabiv1::", 12) == 0;
}

/* The state of one function entry while the names are chosen. */
struct cx_fn {
	struct pp_entry *e;
	enum cxxname_variant variant;
	enum cxxname_level level;
	int tagged;		/* " [base]" added */
	char *name;		/* malloc'ed: the name at level */
};

/* (Re)makes f->name; 0 or -1 when memory runs out. */
static int cx_make(struct cx_fn *f)
{
	const char *tag = f->variant == CXXNAME_DELETING ? " [deleting]" :
			  f->tagged ? " [base]" : "";
	/* the first length is an upper bound: the buffer-less pass cannot
	 * drop a lambda's "::operator()" */
	size_t n = cxxname_shorten(f->e->full_name, f->level, NULL, 0);
	char *s = malloc(n + strlen(tag) + 1);

	if (!s)
		return -1;
	n = cxxname_shorten(f->e->full_name, f->level, s, n + 1);
	strcpy(s + n, tag);
	free(f->name);
	f->name = s;
	return 0;
}

static int cx_cmp(const void *a, const void *b)
{
	const struct cx_fn *x = *(const struct cx_fn *const *)a;
	const struct cx_fn *y = *(const struct cx_fn *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->e->index > y->e->index) - (x->e->index < y->e->index);
}

/*
 * One round: the entries that share a name with another get more detail (a
 * base variant its tag first).  Returns 1 when something changed, 0 when
 * not, -1 when memory runs out.
 */
static int cx_round(struct cx_fn **by, size_t n)
{
	int changed = 0;

	qsort(by, n, sizeof(*by), cx_cmp);
	for (size_t i = 0, j; i < n; i = j) {
		int tagged = 0;

		for (j = i + 1; j < n && strcmp(by[j]->name, by[i]->name) == 0; j++)
			;
		if (j - i < 2)
			continue;
		/* a base variant beside its own complete one: the tag tells them
		 * apart, more detail would not (their full names are the same) */
		for (size_t k = i; k < j; k++) {
			struct cx_fn *f = by[k];

			if (f->variant != CXXNAME_BASE || f->tagged)
				continue;
			for (size_t l = i; l < j; l++) {
				if (l != k && by[l]->variant != CXXNAME_BASE &&
				    strcmp(by[l]->e->full_name, f->e->full_name) == 0) {
					f->tagged = tagged = 1;
					break;
				}
			}
			if (f->tagged && cx_make(f))
				return -1;
		}
		if (tagged) {
			changed = 1;
			continue;
		}
		for (size_t k = i; k < j; k++) {
			struct cx_fn *f = by[k];

			if (f->level == CXXNAME_FULL)
				continue;	/* the same function in two places */
			f->level++;
			if (cx_make(f))
				return -1;
			changed = 1;
		}
	}
	return changed;
}

/* From libstdc++ (the Itanium C++ ABI), as in symbols.c. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* The demangled form of `symbol` in the profile's arena (`symbol` itself
 * when it is not a C++ name), NULL when memory runs out. */
static const char *demangled(struct pp_profile *prof, const char *symbol)
{
	int status = -1;
	char *d = symbol[0] == '_' && symbol[1] == 'Z' ?
		  __cxa_demangle(symbol, NULL, NULL, &status) : NULL;
	const char *copy = symbol;

	if (d && status == 0)
		copy = pp_profile_strndup(prof, d, strlen(d));
	free(d);
	return copy;
}

int cxxname_assign(struct pp_profile *prof, struct sym_cache *sc, int full_names)
{
	struct cx_fn *fns = calloc(prof->nentries ? prof->nentries : 1, sizeof(*fns));
	struct cx_fn **by = calloc(prof->nentries ? prof->nentries : 1, sizeof(*by));
	size_t n = 0;
	int rc = -1, changed;

	if (!fns || !by)
		goto out;
	for (size_t i = 0; i < prof->nentries; i++) {
		struct pp_entry *e = prof->entries[i];
		const struct pp_module *m = e->module >= 0 ? &prof->modules[e->module] : NULL;
		const char *mangled = NULL, *full = NULL;
		struct cx_fn *f = &fns[n];

		if (e->kind != PPF_KIND_FUNCTION)
			continue;
		if (e->symbol) {
			/* named while loading (by its dump, else by the
			 * binary): not asked again */
			mangled = e->symbol;
			if (!(full = e->demangled) && !(full = demangled(prof, e->symbol)))
				goto out;
		} else if (m && sc) {
			full = sym_lookup_mangled(sc, m->path, m->build_id, m->build_id_len,
						  e->offset, &mangled);
		}
		if (!e->full_name)
			e->full_name = e->name ? e->name : full;
		if (!e->full_name) {
			char buf[REPORT_FALLBACK_MAX];

			report_fallback_text(buf, sizeof(buf), prof, e);
			if (!(e->full_name = pp_profile_strndup(prof, buf, strlen(buf))))
				goto out;
		}
		f->e = e;
		f->level = full_names ? CXXNAME_FULL : CXXNAME_SHORT;
		if (full == e->full_name)
			f->variant = cxxname_variant(mangled);
		/* the variant of what the name shows to be a constructor or a
		 * destructor only, not of a lambda inside one */
		if (f->variant != CXXNAME_PLAIN) {
			enum cxxname_variant v = f->variant;

			f->variant = CXXNAME_PLAIN;
			f->level = CXXNAME_SHORT;
			if (cx_make(f))
				goto out;
			if (cx_is_ctor_dtor(f->name))
				f->variant = v;
			f->level = full_names ? CXXNAME_FULL : CXXNAME_SHORT;
		}
		if (cx_make(f))
			goto out;
		by[n++] = f;
	}
	/* each round moves a colliding entry up a level or tags it: few rounds */
	while ((changed = cx_round(by, n)) > 0)
		;
	if (changed < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct cx_fn *f = &fns[i];

		if (strcmp(f->name, f->e->full_name) == 0)
			f->e->name = f->e->full_name;
		else if (!(f->e->name = pp_profile_strndup(prof, f->name, strlen(f->name))))
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; fns && i < n; i++)
		free(fns[i].name);
	free(fns);
	free(by);
	return rc;
}
