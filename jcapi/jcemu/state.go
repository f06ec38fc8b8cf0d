package jcemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// doc is a stored object, kept as the JSON object the API returns, so any
// field a client sends is kept and returned like JumpCloud does.
type doc = map[string]any

// collection holds docs in id order (ids are issued in sequence).
type collection struct {
	IDs  []string       `json:"ids"`
	Docs map[string]doc `json:"docs"`
}

func newCollection() *collection { return &collection{Docs: map[string]doc{}} }

func (c *collection) put(id string, d doc) {
	if _, ok := c.Docs[id]; !ok {
		c.IDs = append(c.IDs, id)
	}
	c.Docs[id] = d
}

func (c *collection) del(id string) {
	delete(c.Docs, id)
	if i := slices.Index(c.IDs, id); i >= 0 {
		c.IDs = slices.Delete(c.IDs, i, i+1)
	}
}

func (c *collection) all() []doc {
	out := make([]doc, 0, len(c.IDs))
	for _, id := range c.IDs {
		out = append(out, c.Docs[id])
	}
	return out
}

// edge is a graph edge target: {type, id}.
type edge struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// agentKey is a one-time connect key, stored hashed.
type agentKey struct {
	Org, AD, Agent string
	Used           bool
}

// org is one organization's data.
type org struct {
	Doc      doc                       `json:"org"`
	Users    *collection               `json:"users"`
	Groups   *collection               `json:"groups"`
	ADs      *collection               `json:"activeDirectories"`
	Agents   map[string]*collection    `json:"agents"`          // by AD id
	Members  map[string][]string       `json:"members"`         // group id → user ids, sorted
	Bindings map[string][]edge         `json:"bindings"`        // AD id → bound users and groups
	History  map[string][]string       `json:"passwordHistory"` // user id → password hashes, newest last
	Sync     map[string]map[string]any `json:"syncStatus,omitempty"`
	Outbox   []Email                   `json:"outbox,omitempty"` // emails JumpCloud would have sent, oldest first
	// Events is the Directory Insights log, oldest first; EventSeq numbers
	// them; NoInsights answers POST /events with 402.
	Events     []event `json:"events,omitempty"`
	EventSeq   uint64  `json:"eventSeq,omitempty"`
	NoInsights bool    `json:"noInsights,omitempty"`

	// Rules are the translation rules of each AD domain object, by AD id.
	Rules map[string]*collection `json:"translationRules,omitempty"`

	// unique maps "username:<lower>" and "email:<lower>" to a user id, so
	// uniqueness checks stay O(1) with 10k users. Rebuilt on load.
	unique map[string]string
}

func uniqueKey(field string, v any) string { return field + ":" + strings.ToLower(text(v)) }

// index records or drops a user's unique keys.
func (o *org) index(d doc, add bool) {
	for _, f := range []string{"username", "email"} {
		if d[f] == nil {
			continue
		}
		if add {
			o.unique[uniqueKey(f, d[f])] = d["_id"].(string)
		} else {
			delete(o.unique, uniqueKey(f, d[f]))
		}
	}
}

// apiKey is an admin's key, stored hashed, with the orgs it may use. A key
// with more than one org belongs to a multi-tenant admin.
type apiKey struct {
	Hash string   `json:"hash"`
	Orgs []string `json:"orgs"`
}

func (k *apiKey) allows(orgID string) bool { return slices.Contains(k.Orgs, orgID) }

// state is everything the emulator knows; it is what the state file holds.
type state struct {
	NextID      uint64               `json:"nextId"`
	IDPrefix    string               `json:"idPrefix,omitempty"` // 8 hex; DefaultIDPrefix when empty
	Orgs        map[string]*org      `json:"orgs"`
	Keys        []*apiKey            `json:"apiKeys"`
	ConnectKeys map[string]*agentKey `json:"connectKeys"` // by hash
}

func newState() *state {
	return &state{NextID: 1, Orgs: map[string]*org{}, ConnectKeys: map[string]*agentKey{}}
}

func (st *state) key(k string) *apiKey {
	if k == "" {
		return nil
	}
	h := hashSecret(k)
	for _, ak := range st.Keys {
		if ak.Hash == h {
			return ak
		}
	}
	return nil
}

// DefaultIDPrefix starts every id an emulator issues unless [WithIDPrefix]
// says otherwise.
const DefaultIDPrefix = "65a0c0de"

// newID issues the next 24-hex object id. The prefix makes ids look like
// Mongo ObjectIds; the counter makes them sequential and sortable.
func (st *state) newID() string {
	p := st.IDPrefix
	if p == "" {
		p = DefaultIDPrefix
	}
	id := fmt.Sprintf("%s%016x", p, st.NextID)
	st.NextID++
	return id
}

func (s *Server) load() error {
	b, err := os.ReadFile(s.file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("jcemu: read state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return fmt.Errorf("jcemu: read state %s: %w", s.file, err)
	}
	for _, o := range st.Orgs {
		for _, c := range []*collection{o.Users, o.Groups, o.ADs} {
			if c == nil {
				continue
			}
			for id, d := range c.Docs {
				c.Docs[id] = normalizeNumbers(d).(doc)
			}
		}
		o.init()
	}
	s.st = st
	return nil
}

// Save writes the state to path as JSON (0600: it holds key hashes).
func (s *Server) Save(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveTo(path)
}

func (s *Server) saveLocked() error { return s.saveTo(s.file) }

func (s *Server) saveTo(path string) error {
	// Compact: indenting made the 10,000-user state a third larger and
	// slower to write, and nobody reads the file by eye at that size.
	b, err := json.Marshal(s.st)
	if err != nil {
		return fmt.Errorf("jcemu: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jcemu-state-*")
	if err != nil {
		return fmt.Errorf("jcemu: save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("jcemu: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("jcemu: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("jcemu: save state: %w", err)
	}
	return nil
}

func (o *org) init() {
	if o.Users == nil {
		o.Users = newCollection()
	}
	if o.Groups == nil {
		o.Groups = newCollection()
	}
	if o.ADs == nil {
		o.ADs = newCollection()
	}
	if o.Agents == nil {
		o.Agents = map[string]*collection{}
	}
	if o.Rules == nil {
		o.Rules = map[string]*collection{}
	}
	if o.Members == nil {
		o.Members = map[string][]string{}
	}
	if o.Bindings == nil {
		o.Bindings = map[string][]edge{}
	}
	if o.History == nil {
		o.History = map[string][]string{}
	}
	if o.Sync == nil {
		o.Sync = map[string]map[string]any{}
	}
	if o.unique == nil {
		o.unique = map[string]string{}
		for _, d := range o.Users.Docs {
			o.index(d, true)
		}
	}
}

func (o *org) id() string { return o.Doc["_id"].(string) }

// addMember adds userID to groupID's sorted member list; false if already there.
func (o *org) addMember(groupID, userID string) bool {
	m := o.Members[groupID]
	i, found := slices.BinarySearch(m, userID)
	if found {
		return false
	}
	o.Members[groupID] = slices.Insert(m, i, userID)
	return true
}

func (o *org) removeMember(groupID, userID string) bool {
	m := o.Members[groupID]
	i, found := slices.BinarySearch(m, userID)
	if !found {
		return false
	}
	o.Members[groupID] = slices.Delete(m, i, i+1)
	return true
}

func (o *org) bind(adID string, e edge) bool {
	if slices.Contains(o.Bindings[adID], e) {
		return false
	}
	b := append(o.Bindings[adID], e)
	sort.Slice(b, func(i, j int) bool { return b[i].ID < b[j].ID })
	o.Bindings[adID] = b
	return true
}

func (o *org) unbind(adID string, e edge) bool {
	i := slices.Index(o.Bindings[adID], e)
	if i < 0 {
		return false
	}
	o.Bindings[adID] = slices.Delete(o.Bindings[adID], i, i+1)
	return true
}

// forget removes every edge that points at id.
func (o *org) forget(id string) {
	for g := range o.Members {
		o.removeMember(g, id)
	}
	delete(o.Members, id)
	for ad, es := range o.Bindings {
		o.Bindings[ad] = slices.DeleteFunc(es, func(e edge) bool { return e.ID == id })
	}
	delete(o.History, id)
	delete(o.Sync, id)
}
