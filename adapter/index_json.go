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
}

// MarshalJSON encodes the index.
func (x *Index) MarshalJSON() ([]byte, error) {
	return json.Marshal(indexJSON{Attr: x.attr, RootDN: x.rootDN, AdminsDN: x.adminsDN, Groups: x.groups, IsGroup: x.isGroup})
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
	*x = Index{attr: j.Attr, rootDN: j.RootDN, adminsDN: j.AdminsDN, groups: j.Groups, isGroup: j.IsGroup}
	return nil
}
