/*
 * Flattens a TOML document for manifest.c. Every C++ exception stops at the
 * extern "C" functions at the bottom of this file.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "manifest_toml.h"

namespace
{

struct flat_node {
	bool has_key = false;
	std::string key;
	std::string path;
	size_t parent = WEFT_TOML_NO_PARENT;
	weft_toml_type type = WEFT_TOML_TABLE;
	unsigned line = 0;
	std::string str;
};

bool is_bare_key(std::string_view key)
{
	if (key.empty()) {
		return false;
	}
	for (char c : key) {
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '-';
		if (!ok) {
			return false;
		}
	}
	return true;
}

/* A key as TOML would spell it, so that "a.b" = 1 does not read as a.b = 1. */
std::string spell_key(std::string_view key)
{
	if (is_bare_key(key)) {
		return std::string(key);
	}
	std::string out = "\"";
	for (char c : key) {
		unsigned char u = static_cast<unsigned char>(c);
		if (c == '"' || c == '\\') {
			out += '\\';
			out += c;
		} else if (u < 0x20 || u == 0x7f) {
			char buf[8];
			std::snprintf(buf, sizeof(buf), "\\u%04x", u);
			out += buf;
		} else {
			out += c;
		}
	}
	out += '"';
	return out;
}

weft_toml_type type_of(const toml::node &node)
{
	switch (node.type()) {
	case toml::node_type::table:
		return WEFT_TOML_TABLE;
	case toml::node_type::array:
		return WEFT_TOML_ARRAY;
	case toml::node_type::string:
		return WEFT_TOML_STRING;
	case toml::node_type::integer:
		return WEFT_TOML_INTEGER;
	case toml::node_type::floating_point:
		return WEFT_TOML_FLOAT;
	case toml::node_type::boolean:
		return WEFT_TOML_BOOLEAN;
	case toml::node_type::date:
		return WEFT_TOML_DATE;
	case toml::node_type::time:
		return WEFT_TOML_TIME;
	case toml::node_type::date_time:
		return WEFT_TOML_DATE_TIME;
	case toml::node_type::none:
		break;
	}
	/* A parsed document holds no untyped node. */
	throw std::logic_error("toml node without a type");
}

struct flattener {
	std::vector<flat_node> nodes;

	void add_children(const toml::table &table, size_t parent, const std::string &prefix)
	{
		for (auto &&[key, node] : table) {
			flat_node flat;
			flat.has_key = true;
			flat.key = std::string(key.str());
			flat.path = prefix.empty() ? spell_key(key.str())
						   : prefix + "." + spell_key(key.str());
			flat.line = node.source().begin.line;
			if (flat.line == 0) {
				flat.line = key.source().begin.line;
			}
			add(std::move(flat), node, parent);
		}
	}

	void add(flat_node flat, const toml::node &node, size_t parent)
	{
		flat.parent = parent;
		flat.type = type_of(node);
		if (const auto *s = node.as_string()) {
			flat.str = s->get();
		}
		std::string path = flat.path;
		nodes.push_back(std::move(flat));
		size_t index = nodes.size() - 1;
		if (const auto *table = node.as_table()) {
			add_children(*table, index, path);
		} else if (const auto *array = node.as_array()) {
			for (size_t i = 0; i < array->size(); i++) {
				const toml::node &item = (*array)[i];
				flat_node elem;
				elem.path = path + "[" + std::to_string(i) + "]";
				elem.line = item.source().begin.line;
				add(std::move(elem), item, index);
			}
		}
	}
};

char *copy_string(const std::string &s)
{
	char *copy = static_cast<char *>(std::malloc(s.size() + 1));
	if (copy == nullptr) {
		throw std::bad_alloc();
	}
	std::memcpy(copy, s.data(), s.size());
	copy[s.size()] = '\0';
	return copy;
}

/* Moves the nodes into malloc'd C structs that manifest.c can free. */
void export_nodes(const std::vector<flat_node> &nodes, weft_toml_doc *doc)
{
	if (nodes.empty()) {
		return;
	}
	doc->nodes = static_cast<weft_toml_node *>(std::calloc(nodes.size(), sizeof(*doc->nodes)));
	if (doc->nodes == nullptr) {
		throw std::bad_alloc();
	}
	for (const flat_node &flat : nodes) {
		/* Count each node as soon as it exists, so that a failure frees it. */
		weft_toml_node *node = &doc->nodes[doc->len++];
		node->parent = flat.parent;
		node->type = flat.type;
		node->line = flat.line;
		node->path = copy_string(flat.path);
		if (flat.has_key) {
			node->key = copy_string(flat.key);
			node->key_len = flat.key.size();
		}
		if (flat.type == WEFT_TOML_STRING) {
			node->str = copy_string(flat.str);
			node->str_len = flat.str.size();
		}
	}
}

void set_error(weft_toml_doc *doc, std::string_view msg, unsigned line, unsigned column)
{
	/* The nodes of a failed parse are of no use to anyone. */
	weft_toml_doc_finish(doc);
	doc->error_line = line;
	doc->error_column = column;
	doc->error = static_cast<char *>(std::malloc(msg.size() + 1));
	if (doc->error != nullptr) {
		std::memcpy(doc->error, msg.data(), msg.size());
		doc->error[msg.size()] = '\0';
	}
}

} // namespace

extern "C" bool weft_toml_parse(const char *text, size_t len, weft_toml_doc *doc)
{
	*doc = weft_toml_doc{};
	try {
		toml::table root = toml::parse(std::string_view(text, len));
		flattener flat;
		flat.add_children(root, WEFT_TOML_NO_PARENT, "");
		export_nodes(flat.nodes, doc);
		return true;
	} catch (const toml::parse_error &e) {
		const toml::source_position &pos = e.source().begin;
		set_error(doc, e.description(), pos.line, pos.column);
	} catch (const std::bad_alloc &) {
		set_error(doc, "out of memory", 0, 0);
	} catch (const std::exception &e) {
		set_error(doc, e.what(), 0, 0);
	} catch (...) {
		set_error(doc, "unexpected failure in the TOML parser", 0, 0);
	}
	return false;
}

extern "C" void weft_toml_doc_finish(weft_toml_doc *doc)
{
	for (size_t i = 0; i < doc->len; i++) {
		std::free(doc->nodes[i].key);
		std::free(doc->nodes[i].path);
		std::free(doc->nodes[i].str);
	}
	std::free(doc->nodes);
	std::free(doc->error);
	*doc = weft_toml_doc{};
}
