package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/adjc/adjc/secret"
	"gopkg.in/yaml.v3"
)

// KeyValue is one setting [EditFile] writes: a key of its section and the
// value. Replace says whether a value already in the file is overwritten;
// otherwise the key is only added where it is absent, so what the operator
// wrote stays as written.
type KeyValue struct {
	Key     string
	Value   string
	Replace bool
}

// FileEdit is a change to the config file: keys of the jumpcloud section
// and of one domain.
type FileEdit struct {
	JumpCloud []KeyValue
	// Domain is the index of the domain in the file's domains list; -1
	// appends a new domain (a domain that came from flags and environment).
	Domain     int
	DomainKeys []KeyValue
}

// newFileHeader starts a config file that [EditFile] creates.
const newFileHeader = "# adjc configuration, written by 'adjc connect'; see 'adjc help config-file'.\n" +
	"# Secrets are not kept here: the *_file keys name files readable only by their owner.\n"

// EditFile applies e to the YAML config file at path, or creates the file
// when there is none. The file is edited as a yaml.v3 node tree, so comments
// and key order survive (yaml.v3 normalises indentation to two spaces). It
// is written only when a value changes — rerunning the same edit leaves the
// file byte for byte as it was — and then atomically (a temporary file in
// the same directory, renamed over it) with permissions 0600. It reports
// whether it wrote the file.
func EditFile(path string, e FileEdit) (bool, error) {
	for _, kv := range e.JumpCloud {
		if !slices.Contains(jumpCloudKeys, kv.Key) {
			return false, fmt.Errorf("config: edit %s: unknown key jumpcloud.%s", path, kv.Key)
		}
	}
	for _, kv := range e.DomainKeys {
		if !slices.Contains(domainKeys, kv.Key) {
			return false, fmt.Errorf("config: edit %s: unknown key domains[].%s", path, kv.Key)
		}
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // replace the file a symlink points to, not the symlink
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("config: %w", err)
	}
	exists := err == nil
	var doc yaml.Node
	if err := yaml.Unmarshal(old, &doc); err != nil {
		return false, fmt.Errorf("config: edit %s: %s", path, err)
	}
	if len(doc.Content) == 0 {
		head := doc.HeadComment
		if !exists {
			head = newFileHeader
		}
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
		doc.Content[0].HeadComment = head
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return false, fmt.Errorf("config: edit %s: the file is not a mapping of keys", path)
	}
	changed := false
	if len(e.JumpCloud) > 0 {
		jc, err := child(top, "jumpcloud", yaml.MappingNode)
		if err != nil {
			return false, fmt.Errorf("config: edit %s: %w", path, err)
		}
		changed = setKeys(jc, e.JumpCloud) || changed
	}
	if len(e.DomainKeys) > 0 {
		seq, err := child(top, "domains", yaml.SequenceNode)
		if err != nil {
			return false, fmt.Errorf("config: edit %s: %w", path, err)
		}
		var item *yaml.Node
		switch {
		case e.Domain < 0:
			item = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			seq.Content = append(seq.Content, item)
			changed = true
		case e.Domain < len(seq.Content) && seq.Content[e.Domain].Kind == yaml.MappingNode:
			item = seq.Content[e.Domain]
		default:
			return false, fmt.Errorf("config: edit %s: no domains[%d] mapping", path, e.Domain)
		}
		changed = setKeys(item, e.DomainKeys) || changed
	}
	if !changed {
		return false, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return false, fmt.Errorf("config: edit %s: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		return false, fmt.Errorf("config: edit %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, buf.Bytes()); err != nil {
		return false, err
	}
	return true, nil
}

// child returns the value of key in the mapping m, adding an empty node of
// kind when the key is absent or has no value ("domains:" alone).
func child(m *yaml.Node, key string, kind yaml.Kind) (*yaml.Node, error) {
	tag := map[yaml.Kind]string{yaml.MappingNode: "!!map", yaml.SequenceNode: "!!seq"}[kind]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		v := m.Content[i+1]
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			*v = yaml.Node{Kind: kind, Tag: tag, LineComment: v.LineComment}
		}
		if v.Kind != kind {
			return nil, fmt.Errorf("%s has the wrong shape", key)
		}
		return v, nil
	}
	v := &yaml.Node{Kind: kind, Tag: tag}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v, nil
}

// setKeys applies kvs to the mapping m and reports whether it changed.
func setKeys(m *yaml.Node, kvs []KeyValue) bool {
	changed := false
	for _, kv := range kvs {
		val := scalarNode(kv.Value)
		if slices.Contains(boolKeys, kv.Key) {
			// start_tls, allow_plaintext: a YAML boolean, which is what
			// the file reader accepts for them, not the string "true".
			val = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: kv.Value}
		}
		found := false
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value != kv.Key {
				continue
			}
			found = true
			v := m.Content[i+1]
			empty := v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "")
			if v.Kind == yaml.ScalarNode && v.Value == kv.Value && !empty {
				break
			}
			if kv.Replace || empty {
				val.HeadComment, val.LineComment, val.FootComment = v.HeadComment, v.LineComment, v.FootComment
				m.Content[i+1] = val
				changed = true
			}
			break
		}
		if !found {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv.Key}, val)
			changed = true
		}
	}
	return changed
}

// scalarNode is a string value, quoted when YAML would read it plain as
// something else (an all-digit id as an integer, "true" as a boolean).
func scalarNode(v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: v}
	if n.ShortTag() != "!!str" {
		n.Style = yaml.DoubleQuotedStyle
	}
	n.Tag = "!!str"
	return n
}

// WriteFileAtomic writes data to path with permissions 0600: to a temporary
// file in the same directory, synced, then renamed over path, so a reader
// (or a crash) never sees half a file. Missing directories are created 0700.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("config: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	return nil
}

// WriteSecretFile stores s in path as one line, atomically and with
// permissions 0600, unless the file already holds exactly s with those
// permissions. It reports whether it wrote the file. The error never
// carries the secret.
func WriteSecretFile(path string, s secret.Secret) (bool, error) {
	if s.IsZero() {
		return false, fmt.Errorf("config: refusing to write an empty secret to %s", path)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o077 == 0 {
		if b, err := os.ReadFile(path); err == nil && string(bytes.TrimRight(b, "\r\n")) == s.Reveal() {
			return false, nil
		}
	}
	return true, WriteFileAtomic(path, []byte(s.Reveal()+"\n"))
}

// FilePath returns the config file [Load] reads with opts: --config, else
// $ADJC_CONFIG, else $XDG_CONFIG_HOME/adjc/config.yaml, whether or not it
// exists; "" when there is no home directory to put it in. `adjc connect`
// creates it there when it does not exist.
func FilePath(opts LoadOptions) string {
	l := &loader{opts: opts}
	if v, ok := l.flag(FlagConfig); ok && v != "" {
		return v
	}
	if v, ok := l.env(EnvConfig); ok {
		return v
	}
	dir, ok := l.userDir("XDG_CONFIG_HOME", ".config", "APPDATA")
	if !ok {
		return ""
	}
	return filepath.Join(dir, "adjc", "config.yaml")
}
