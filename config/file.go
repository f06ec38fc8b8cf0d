package config

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// value is one setting as read from one layer.
type value struct {
	s    string
	list []string // for the list keys (listKeys)
	src  Source
	set  bool
}

// fileDoc is the config file, key by key, with the line of each value.
type fileDoc struct {
	top       map[string]value
	jumpCloud map[string]value
	domains   []map[string]value
	etcd      map[string]value // ha.etcd
}

// The keys each section accepts. yaml.v3's Decoder.KnownFields would reject
// unknown keys too, but it stops at the first and names a Go type; walking
// the node tree reports every unknown key with its line and a suggestion.
var (
	topKeys       = []string{"jumpcloud", "domains", "state_dir", "audit_log", "ha"}
	jumpCloudKeys = []string{"api_url", "region", "org_id", "api_key_file"}
	domainKeys    = []string{
		"name", "mode", "ldap_url", "base_dn", "root_container", "bind", "bind_password_file",
		"import_bind", "import_bind_password_file", "sync_bind", "sync_bind_password_file",
		"ca_file", "start_tls", "allow_plaintext", "jumpcloud_group", "admins_group", "username_attribute",
		"jumpcloud_domain_id", "never_touch", "welcome_email", "delegated_authority", "password_sync", "field_mapping",
	}
	boolKeys = []string{"start_tls", "allow_plaintext", "welcome_email", "password_sync"}
	listKeys = []string{"never_touch", "field_mapping"}
)

// parseFile reads the YAML in data (from path) strictly.
func parseFile(path string, data []byte) (*fileDoc, []Problem) {
	doc := &fileDoc{top: map[string]value{}, jumpCloud: map[string]value{}, etcd: map[string]value{}}
	src := Source{Kind: KindFile, Name: path}
	// A config is a few KiB: a large file is another file named by mistake,
	// and YAML's aliases can make a small-looking one expensive to parse.
	if len(data) > maxFileSize {
		return nil, []Problem{{Field: "config", Source: src,
			Msg: fmt.Sprintf("the file is %d bytes, more than the %d KiB a configuration can be", len(data), maxFileSize>>10),
			Fix: "check that --config or $ADJC_CONFIG names the adjc configuration file"}}
	}
	// yaml.v3 reports a bad byte as "invalid leading UTF-8 octet", which
	// reads like a syntax error; the cause is the file's encoding.
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:invalidUTF8At(data)], []byte("\n"))
		return nil, []Problem{{Field: "config", Source: src,
			Msg: fmt.Sprintf("line %d: the file is not UTF-8 text", line),
			Fix: "save it as UTF-8 (not Latin-1 or UTF-16)"}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, []Problem{{
			Field:  "config",
			Source: Source{Kind: KindFile, Name: path},
			Msg:    yamlSyntaxError(data, err),
			Fix:    "correct the YAML syntax",
		}}
	}
	if len(root.Content) == 0 { // an empty file or only comments
		return doc, nil
	}
	p := &fileParser{path: path}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		p.add(top, "config", "the file must be a mapping of keys (jumpcloud, domains, …)", "start from the example in 'adjc help config-file'")
		return nil, p.problems
	}
	p.mapping(top, "", topKeys, func(key string, v *yaml.Node) {
		switch key {
		case "jumpcloud":
			if p.expect(v, yaml.MappingNode, "jumpcloud", "a mapping") {
				p.mapping(v, "jumpcloud.", jumpCloudKeys, func(k string, v *yaml.Node) {
					doc.jumpCloud[k] = p.scalar(v, "jumpcloud."+k, false)
				})
			}
		case "domains":
			if !p.expect(v, yaml.SequenceNode, "domains", "a list of domains") {
				return
			}
			for i, item := range v.Content {
				prefix := fmt.Sprintf("domains[%d].", i)
				d := map[string]value{}
				if p.expect(item, yaml.MappingNode, strings.TrimSuffix(prefix, "."), "a mapping of keys (name, ldap_url, …)") {
					p.mapping(item, prefix, domainKeys, func(k string, v *yaml.Node) {
						if slices.Contains(listKeys, k) {
							d[k] = p.list(v, prefix+k)
							return
						}
						d[k] = p.scalar(v, prefix+k, slices.Contains(boolKeys, k))
					})
				}
				doc.domains = append(doc.domains, d)
			}
		case "ha":
			p.parseHA(v, doc)
		default:
			doc.top[key] = p.scalar(v, key, false)
		}
	})
	if len(p.problems) > 0 {
		return nil, p.problems
	}
	// Relative paths in the file are relative to the file, as in a
	// kubeconfig, so the same file works from any working directory.
	dir := filepath.Dir(path)
	rel := func(m map[string]value, keys ...string) {
		for _, k := range keys {
			if v := m[k]; v.set && v.s != "" && v.s != "-" && !filepath.IsAbs(v.s) {
				v.s = filepath.Join(dir, v.s)
				m[k] = v
			}
		}
	}
	rel(doc.top, "state_dir", "audit_log")
	rel(doc.jumpCloud, "api_key_file")
	rel(doc.etcd, "ca_file", "cert_file", "key_file")
	for _, d := range doc.domains {
		rel(d, "bind_password_file", "import_bind_password_file", "sync_bind_password_file", "ca_file")
	}
	return doc, nil
}

type fileParser struct {
	path     string
	problems []Problem
}

func (p *fileParser) src(n *yaml.Node) Source {
	return Source{Kind: KindFile, Name: p.path, Line: n.Line}
}

func (p *fileParser) add(n *yaml.Node, field, msg, fix string) {
	p.problems = append(p.problems, Problem{Field: field, Source: p.src(n), Msg: msg, Fix: fix})
}

func (p *fileParser) expect(n *yaml.Node, kind yaml.Kind, field, what string) bool {
	if n.Kind == kind {
		return true
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return false // "domains:" with nothing after it: treat as absent
	}
	p.add(n, field, "must be "+what, "see the example in 'adjc help config-file'")
	return false
}

// mapping calls each for every known key of n and reports unknown and
// repeated ones.
func (p *fileParser) mapping(n *yaml.Node, prefix string, known []string, each func(key string, v *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if key == "" || k.Kind != yaml.ScalarNode {
			// An empty, null or complex key ("": x, ? [a]: x) would
			// otherwise be reported under an empty field name.
			p.add(k, strings.TrimSuffix(prefix, ".")+"(empty or complex key)", "keys must be plain names", unknownKeyFix(key, known))
			continue
		}
		if line, ok := seen[key]; ok {
			p.add(k, prefix+key, fmt.Sprintf("repeated key (first set on line %d)", line), "keep one of them")
			continue
		}
		seen[key] = k.Line
		if !slices.Contains(known, key) {
			p.add(k, prefix+key, "unknown key", unknownKeyFix(key, known))
			continue
		}
		each(key, v)
	}
}

// scalar reads a string (or, for isBool, a boolean) value.
func (p *fileParser) scalar(n *yaml.Node, field string, isBool bool) value {
	v := value{src: p.src(n), set: true}
	if n.Kind != yaml.ScalarNode {
		p.add(n, field, "must be a single value, not a list or mapping", "write it as key: value")
		return value{}
	}
	if n.Tag == "!!null" {
		return value{src: v.src} // "org_id:" with no value is the same as absent
	}
	if isBool {
		var b bool
		if err := n.Decode(&b); err != nil {
			p.problems = append(p.problems, Problem{Field: field, Value: n.Value, Source: p.src(n), Msg: "must be true or false", Fix: "write true or false"})
			return value{}
		}
		v.s = strconv.FormatBool(b)
		return v
	}
	v.s = n.Value
	return v
}

// list reads a list of strings; a null value is an empty list.
func (p *fileParser) list(n *yaml.Node, field string) value {
	v := value{src: p.src(n), set: true}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return value{src: v.src}
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n, field, "must be a list", "write one entry per line, each starting with '- '")
		return value{}
	}
	for i, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
			p.add(item, fmt.Sprintf("%s[%d]", field, i), "must be a single value", "write a DN or a sAMAccountName")
			continue
		}
		v.list = append(v.list, item.Value)
	}
	return v
}

// unknownKeyFix suggests the closest known key, as a typo is the usual cause.
func unknownKeyFix(key string, known []string) string {
	best, bestDist := "", 3 // suggest only near misses
	for _, k := range known {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "remove it; known keys here: " + strings.Join(known, ", ")
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// maxFileSize bounds the configuration file parseFile accepts.
const maxFileSize = 1 << 20

// invalidUTF8At returns the offset of the first byte of data that is not
// part of valid UTF-8.
func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// yamlLine matches a yaml.v3 syntax error: "yaml: line 3: found …".
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError words a YAML syntax error with the line the problem is
// on. yaml.v3 names the line where the construct around the problem began
// (its "context" mark) when there is one: a tab that breaks the indentation
// of line 3 is reported on line 2, the mapping it belongs to. The problem's
// own line is the first line at which the file, cut there, fails with the
// same message; a cut before it parses, or fails for another reason (an
// unclosed bracket that the rest of the file closes).
func yamlSyntaxError(data []byte, err error) string {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msg := m[2]
	from, _ := strconv.Atoi(m[1])
	if len(data) > 64<<10 {
		// Each try parses the cut; a config is a few KiB, and this is
		// only for one that is not.
		return "line " + m[1] + ": " + msg
	}
	// The problem is at or after the line its context began on: start
	// there, and look a bounded distance on.
	end := 0
	for line := 1; line < from && end < len(data); line++ {
		if next := bytes.IndexByte(data[end:], '\n'); next >= 0 {
			end += next + 1
		} else {
			end = len(data)
		}
	}
	for line := max(from, 1); end < len(data) && line < from+200; line++ {
		next := bytes.IndexByte(data[end:], '\n')
		if next < 0 {
			end = len(data)
		} else {
			end += next + 1
		}
		var n yaml.Node
		perr := yaml.Unmarshal(data[:end], &n)
		if pm := yamlLine.FindStringSubmatch(fmt.Sprint(perr)); perr != nil && pm != nil && pm[2] == msg {
			return fmt.Sprintf("line %d: %s", line, msg)
		}
	}
	return "line " + m[1] + ": " + msg
}
