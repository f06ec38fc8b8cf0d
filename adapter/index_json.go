package adapter

import "encoding/json"

// indexJSON is [Index] as JSON: an HA group shares the last full read,
// index included, so that a new leader can plan targeted runs against it.
type indexJSON struct {
	Attr     string              `json:"attr"`
	RootDN   string              `json:"root_dn"`
	AdminsDN string              `json:"admins_dn,omitempty"`
	Groups   map[string][]string `json:"groups"`
	IsGroup  map[string]bool     `json:"is_group"`
	// Mapped were lost here once: a new leader's targeted reads then read
	// no mapped attribute.
	Mapped     []string        `json:"mapped,omitempty"`
	AdminsNest map[string]bool `json:"admins_nest,omitempty"`
}

// MarshalJSON encodes the index.
func (x *Index) MarshalJSON() ([]byte, error) {
	return json.Marshal(indexJSON{Attr: x.attr, RootDN: x.rootDN, AdminsDN: x.adminsDN, Groups: x.groups, IsGroup: x.isGroup,
		Mapped: x.mapped, AdminsNest: x.adminsNest})
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (x *Index) UnmarshalJSON(b []byte) error {
	var j indexJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Groups == nil {
		j.Groups = map[string][]string{}
	}
	if j.IsGroup == nil {
		j.IsGroup = map[string]bool{}
	}
	if j.AdminsNest == nil {
		j.AdminsNest = map[string]bool{}
	}
	*x = Index{attr: j.Attr, rootDN: j.RootDN, adminsDN: j.AdminsDN, groups: j.Groups, isGroup: j.IsGroup,
		mapped: j.Mapped, adminsNest: j.AdminsNest}
	return nil
}
