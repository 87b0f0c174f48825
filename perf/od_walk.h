/* od_walk.h - the raw simdjson On Demand reference parse for perf/ (DESIGN.md §12).
 *
 * DESIGN
 * DESIGN.md §12 measures the normalize path against "simdjson's own parse of the
 * same bytes". This is that parse: a full On Demand traversal of one JSON
 * document that visits every value once, unescapes every key and string, and
 * converts every number (the same work json_shim_walk() is specified to do), with
 * no recursion (STYLE.md §12): an explicit stack of object/array iterators.
 *
 *   stack[0] = root container      on each step: advance the top iterator; a
 *   stack[1] = its open child      scalar is consumed in place, a container is
 *   ...                            pushed and walked before its parent moves on
 *
 * On Demand is forward-only, so a child container must be fully consumed before
 * its parent's iterator advances: the stack order guarantees it.
 * Built for the same instruction set as the shim would want (see CMakeLists.txt):
 * od_impl_name() says which simdjson kernel this translation unit compiled in.
 * Input contract: buf[0..len) followed by at least SIMDJSON_PADDING readable bytes.
 */
#ifndef SLUICE_PERF_OD_WALK_H
#define SLUICE_PERF_OD_WALK_H

#include <simdjson.h>

#include <cstddef>
#include <cstdint>

namespace od {

namespace sj = simdjson;
namespace ond = simdjson::ondemand;

constexpr int kMaxDepth = 128; /* deeper documents are rejected (Defender bodies: < 10) */

struct walk_result {
    uint64_t values;      /* values visited (scalars and containers) */
    uint64_t str_bytes;   /* unescaped key and string bytes */
    double num_sum;       /* sum of numbers, so the conversions cannot be elided */
};

struct frame {
    bool is_obj;
    bool started; /* the iterator has yielded at least one element */
    ond::object_iterator oit, oend;
    ond::array_iterator ait, aend;
};

/* Name of the simdjson kernel On Demand code in this translation unit uses. */
inline const char *od_impl_name() { return SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION); }

// Push a container's iterators; DEPTH_ERROR past kMaxDepth.
inline sj::error_code push_obj(ond::object &o, frame *st, int *depth)
{
    if (*depth == kMaxDepth)
        return sj::DEPTH_ERROR;
    frame &f = st[(*depth)++];
    f.is_obj = true;
    f.started = false;
    sj::error_code e = o.begin().get(f.oit);
    return e ? e : o.end().get(f.oend);
}

inline sj::error_code push_arr(ond::array &a, frame *st, int *depth)
{
    if (*depth == kMaxDepth)
        return sj::DEPTH_ERROR;
    frame &f = st[(*depth)++];
    f.is_obj = false;
    f.started = false;
    sj::error_code e = a.begin().get(f.ait);
    return e ? e : a.end().get(f.aend);
}

// Consume one value: a scalar in place, a container by pushing its iterators.
// T is ond::value or ond::document (the root).
template <typename T>
inline sj::error_code visit(T &v, frame *st, int *depth, walk_result *acc)
{
    ond::json_type t;
    sj::error_code e = v.type().get(t);
    if (e)
        return e;
    acc->values++;
    switch (t) {
    case ond::json_type::object: {
        ond::object o;
        if ((e = v.get_object().get(o)))
            return e;
        return push_obj(o, st, depth);
    }
    case ond::json_type::array: {
        ond::array a;
        if ((e = v.get_array().get(a)))
            return e;
        return push_arr(a, st, depth);
    }
    case ond::json_type::string: {
        std::string_view s;
        if ((e = v.get_string().get(s)))
            return e;
        acc->str_bytes += s.size();
        return sj::SUCCESS;
    }
    case ond::json_type::number: {
        ond::number n;
        if ((e = v.get_number().get(n)))
            return e;
        acc->num_sum += n.as_double();
        return sj::SUCCESS;
    }
    case ond::json_type::boolean: {
        bool b;
        if ((e = v.get_bool().get(b)))
            return e;
        acc->num_sum += b;
        return sj::SUCCESS;
    }
    case ond::json_type::null: {
        bool isnull;
        if ((e = v.is_null().get(isnull)))
            return e;
        return isnull ? sj::SUCCESS : sj::N_ATOM_ERROR;
    }
    }
    return sj::INCORRECT_TYPE;
}

class walker {
public:
    /* Walk buf[0..len) (capacity bytes readable, >= len + SIMDJSON_PADDING).
     * Returns sj::SUCCESS or the first error; *out accumulates. */
    sj::error_code walk(const char *buf, size_t len, size_t capacity, walk_result *out)
    {
        ond::document doc;
        sj::error_code e = parser_.iterate(buf, len, capacity).get(doc);
        if (e)
            return e;
        // Locals, not members: the compiler can keep them in registers across the
        // simdjson calls (members of *this could alias the parser's state).
        frame st[kMaxDepth];
        int depth = 0;
        walk_result acc{};
        if ((e = visit(doc, st, &depth, &acc)))
            return e;
        while (depth > 0) {
            frame &f = st[depth - 1];
            if (f.is_obj) {
                if (f.started)
                    ++f.oit;
                f.started = true;
                if (!(f.oit != f.oend)) {
                    depth--;
                    continue;
                }
                ond::field fld;
                std::string_view k;
                if ((e = (*f.oit).get(fld)) || (e = fld.unescaped_key().get(k)))
                    return e;
                acc.str_bytes += k.size();
                e = visit(fld.value(), st, &depth, &acc);
            } else {
                if (f.started)
                    ++f.ait;
                f.started = true;
                if (!(f.ait != f.aend)) {
                    depth--;
                    continue;
                }
                ond::value v;
                if ((e = (*f.ait).get(v)))
                    return e;
                e = visit(v, st, &depth, &acc);
            }
            if (e)
                return e;
        }
        // simdjson 3.0 has no document::at_end(): past the last token,
        // current_location() reports OUT_OF_BOUNDS; anything else is trailing content.
        const char *loc;
        if (!doc.current_location().get(loc))
            return sj::TRAILING_CONTENT;
        out->values += acc.values;
        out->str_bytes += acc.str_bytes;
        out->num_sum += acc.num_sum;
        return sj::SUCCESS;
    }

private:
    ond::parser parser_;
};

} // namespace od

#endif
