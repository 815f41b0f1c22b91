// The RapidXML DOM baseline that the codec and focus benchmarks measure
// their encoders against: RapidXML 1.13 with rapidxml_print usable under
// GCC, and a DOM copy that points at the source tree's strings (RapidXML
// never copies strings either). Benchmarks only.

#ifndef CONF_BENCH_RAPIDXML_BASELINE_H_
#define CONF_BENCH_RAPIDXML_BASELINE_H_

// At -O2 GCC flags RapidXML's own node initialisation as maybe-uninitialized
// (a false positive inside rapidxml.hpp); only the baseline includes it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "rapidxml/rapidxml.hpp"
// rapidxml_print.hpp calls its internal helpers before declaring them, which
// GCC >= 4.7 rejects; declaring them first is the usual fix.
namespace rapidxml {
namespace internal {
template <class OutIt, class Ch>
inline OutIt print_children(OutIt out, const xml_node<Ch>* node, int flags,
                            int indent);
template <class OutIt, class Ch>
inline OutIt print_attributes(OutIt out, const xml_node<Ch>* node, int flags);
template <class OutIt, class Ch>
inline OutIt print_data_node(OutIt out, const xml_node<Ch>* node, int flags,
                             int indent);
template <class OutIt, class Ch>
inline OutIt print_cdata_node(OutIt out, const xml_node<Ch>* node, int flags,
                              int indent);
template <class OutIt, class Ch>
inline OutIt print_element_node(OutIt out, const xml_node<Ch>* node, int flags,
                                int indent);
template <class OutIt, class Ch>
inline OutIt print_declaration_node(OutIt out, const xml_node<Ch>* node,
                                    int flags, int indent);
template <class OutIt, class Ch>
inline OutIt print_comment_node(OutIt out, const xml_node<Ch>* node, int flags,
                                int indent);
template <class OutIt, class Ch>
inline OutIt print_doctype_node(OutIt out, const xml_node<Ch>* node, int flags,
                                int indent);
template <class OutIt, class Ch>
inline OutIt print_pi_node(OutIt out, const xml_node<Ch>* node, int flags,
                           int indent);
}  // namespace internal
}  // namespace rapidxml
#include "rapidxml/rapidxml_print.hpp"

namespace conf {
namespace bench {

// Builds a DOM copy of `from` under `to` in `doc` (names and values point at
// `from`'s strings, as RapidXML users do).
inline void CloneInto(rapidxml::xml_document<char>& doc,
                      const rapidxml::xml_node<char>* from,
                      rapidxml::xml_node<char>* to) {
  for (const rapidxml::xml_node<char>* c = from->first_node(); c != nullptr;
       c = c->next_sibling()) {
    rapidxml::xml_node<char>* n = doc.allocate_node(
        c->type(), c->name(), c->value(), c->name_size(), c->value_size());
    for (const rapidxml::xml_attribute<char>* a = c->first_attribute();
         a != nullptr; a = a->next_attribute()) {
      n->append_attribute(doc.allocate_attribute(
          a->name(), a->value(), a->name_size(), a->value_size()));
    }
    CloneInto(doc, c, n);
    to->append_node(n);
  }
}

}  // namespace bench
}  // namespace conf

#endif  // CONF_BENCH_RAPIDXML_BASELINE_H_
