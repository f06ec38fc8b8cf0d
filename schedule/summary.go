package schedule

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/adjc/adjc/reconcile"
)

// Count is how many changes of one kind and action were applied.
type Count struct {
	Kind   reconcile.Kind   `json:"kind"`
	Action reconcile.Action `json:"action"`
	N      int              `json:"n"`
}

// Summary is what one run did, over every plan it applied (import and sync
// add theirs together with [Summary.Add]).
type Summary struct {
	// Planned counts the changes in the plans.
	Planned int `json:"planned"`
	// Applied, Failed and Skipped count the outcomes by status.
	Applied int `json:"applied"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// ByKind counts the applied changes by kind and action, sorted.
	ByKind []Count `json:"by_kind,omitempty"`
	// Targeted is set when the run read and planned only the users a watch
	// event named, rather than everything.
	Targeted bool `json:"targeted,omitempty"`
	// FullReason says why a watch or interval run read everything after
	// all (a group changed, too many users, no earlier full read to start
	// from, the full interval reached).
	FullReason string `json:"full_reason,omitempty"`
	// Delta is set when an interval run planned only what DirSync said
	// changed since the last run (Targeted then says whether it read
	// anything at all): the run kind "delta" of adjc_run_kind_total.
	Delta bool `json:"delta,omitempty"`
	// Calls counts the JumpCloud API requests the run sent, retries
	// included (what it cost in JumpCloud's request budget).
	Calls int64 `json:"jumpcloud_calls"`
}

// Kind is the run's kind for metrics and logs: "delta" when it planned only
// what changed (a watch run or a delta tick), "full" when it read everything.
func (s Summary) Kind() string {
	if s.Delta || s.Targeted {
		return "delta"
	}
	return "full"
}

// Summarize counts what applying plan did, from its result.
func Summarize(plan reconcile.Plan, res reconcile.Result) Summary {
	s := Summary{Planned: len(plan.Changes)}
	for _, o := range res.Outcomes {
		switch o.Status {
		case reconcile.StatusApplied:
			s.Applied++
			s.ByKind = addCount(s.ByKind, Count{Kind: o.Change.Kind, Action: o.Change.Action, N: 1})
		case reconcile.StatusFailed:
			s.Failed++
		case reconcile.StatusSkipped:
			s.Skipped++
		}
	}
	// Changes never attempted (Apply stopped, or refused the plan) are skipped.
	s.Skipped += max(0, s.Planned-len(res.Outcomes))
	return s
}

// Add returns the sum of s and o.
func (s Summary) Add(o Summary) Summary {
	out := Summary{Planned: s.Planned + o.Planned, Applied: s.Applied + o.Applied, Failed: s.Failed + o.Failed, Skipped: s.Skipped + o.Skipped,
		Targeted: s.Targeted || o.Targeted, FullReason: s.FullReason, Delta: s.Delta || o.Delta, Calls: s.Calls + o.Calls}
	if out.FullReason == "" {
		out.FullReason = o.FullReason
	}
	for _, c := range slices.Concat(s.ByKind, o.ByKind) {
		out.ByKind = addCount(out.ByKind, c)
	}
	return out
}

func addCount(cs []Count, c Count) []Count {
	i, found := slices.BinarySearchFunc(cs, c, compareCount)
	if found {
		cs[i].N += c.N
		return cs
	}
	return slices.Insert(cs, i, c)
}

func compareCount(a, b Count) int {
	if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
		return c
	}
	return int(a.Action) - int(b.Action)
}

// Changes renders ByKind compactly for a log line, e.g. "membership+2 user~1"
// (kind, then the plan's action symbol and the count).
func (s Summary) Changes() string {
	parts := make([]string, 0, len(s.ByKind))
	for _, c := range s.ByKind {
		parts = append(parts, fmt.Sprintf("%s%c%d", c.Kind, rune(c.Action), c.N))
	}
	return strings.Join(parts, " ")
}

// LogValue implements slog.LogValuer.
func (s Summary) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("planned", s.Planned), slog.Int("applied", s.Applied),
		slog.Int("failed", s.Failed), slog.Int("skipped", s.Skipped), slog.String("changes", s.Changes()))
}

// actionName is the word used for an action in metric labels.
func actionName(a reconcile.Action) string {
	switch a {
	case reconcile.Create:
		return "create"
	case reconcile.Update:
		return "update"
	case reconcile.Delete:
		return "delete"
	case reconcile.Adopt:
		return "adopt"
	}
	return "other"
}
