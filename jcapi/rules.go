package jcapi

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// TranslationRule is one attribute mapping the console keeps for an AD
// domain (components.schemas."jumpcloud.idm.TranslationRule"): Source is
// a field path (SourceType PATH) or an expression, Destination the field
// it fills, Direction IMPORT (AD → JumpCloud), EXPORT or UNSPECIFIED, and
// AppliedOn when: CREATE, UPDATE.
type TranslationRule struct {
	ID          string   `json:"id,omitempty"`
	Source      string   `json:"source"`
	Destination string   `json:"destination"`
	SourceType  string   `json:"sourceType,omitempty"`
	Direction   string   `json:"direction,omitempty"`
	AppliedOn   []string `json:"appliedOn,omitempty"`
	Default     bool     `json:"default,omitempty"`
	Editable    bool     `json:"editable,omitempty"`
	Required    bool     `json:"required,omitempty"`
}

func (r TranslationRule) pageID() string { return r.ID }

// Translation-rule enums (jumpcloud.idm.Direction, SourceType, AppliedOn).
const (
	RuleImport      = "IMPORT"
	RuleExport      = "EXPORT"
	RuleUnspecified = "UNSPECIFIED"
	RulePath        = "PATH"
	RuleOnCreate    = "CREATE"
	RuleOnUpdate    = "UPDATE"
)

// rulesPage is the body of the list (ActiveDirectoriesTranslationRulesListResponse).
type rulesPage struct {
	Rules      *[]TranslationRule `json:"rules"`
	TotalCount *int64             `json:"totalCount"`
}

// TranslationRules lists the translation rules of AD domain object adID
// (GET /v2/activedirectories/{id}/translation-rules, limit and skip).
func (c *Client) TranslationRules(ctx context.Context, adID string) iter.Seq2[TranslationRule, error] {
	path := "/activedirectories/" + url.PathEscape(adID) + "/translation-rules"
	return paginate(ctx, "translation rules", "/v2"+path, PageSize, func(ctx context.Context, skip, limit int) ([]TranslationRule, int, error) {
		var page rulesPage
		q := url.Values{"limit": {strconv.Itoa(limit)}, "skip": {strconv.Itoa(skip)}}
		if _, err := c.do(ctx, call{method: "GET", base: c.v2, path: path, query: q, out: &page}); err != nil {
			return nil, 0, err
		}
		if page.Rules == nil {
			return nil, 0, fmt.Errorf("GET %s: response has no rules list", path)
		}
		total := -1
		if page.TotalCount != nil {
			total = int(*page.TotalCount)
		}
		return *page.Rules, total, nil
	})
}

// CreateTranslationRule adds a rule to AD domain object adID (POST
// /v2/activedirectories/{id}/translation-rules, body
// IdmTranslationRulesInsertRequest, camelCase as the schema has it; the
// operation's prose sample wraps it in snake_case, which the schema does
// not declare) and returns it with its id. It is not retried after a lost
// response: a second rule would be made.
func (c *Client) CreateTranslationRule(ctx context.Context, adID string, r TranslationRule) (TranslationRule, error) {
	body := r
	body.ID, body.Default, body.Editable, body.Required = "", false, false, false
	var out struct {
		Rule *TranslationRule `json:"translation_rule"`
	}
	cl := call{method: "POST", base: c.v2, path: "/activedirectories/" + url.PathEscape(adID) + "/translation-rules", body: body, out: &out,
		beforeRetry: func(_ context.Context, lastErr error) (bool, error) { return true, lastErr }}
	if _, err := c.do(ctx, cl); err != nil {
		return TranslationRule{}, fmt.Errorf("jcapi: create translation rule for active directory %s: %w", adID, err)
	}
	if out.Rule == nil {
		return TranslationRule{}, fmt.Errorf("jcapi: create translation rule for active directory %s: response has no translation_rule", adID)
	}
	return *out.Rule, nil
}
