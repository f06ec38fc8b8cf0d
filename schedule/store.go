package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/reconcile"
)

// stateVersion is the version of the state file's JSON; it changes when an
// older adjc could misread a newer file.
const stateVersion = 1

// ErrNotLeader is wrapped by the errors of a [StateStore] or [Leader] when
// this instance is not (or no longer) the group's leader and must not write.
var ErrNotLeader = errors.New("not the leader")

// StateStore keeps a domain's [State]: the file [Store] on one host, or
// package ha's etcd store shared by a group of schedulers.
type StateStore interface {
	// State returns a copy of the current state.
	State() State
	// Update changes the state with f and saves it, all or nothing.
	Update(f func(*State)) error
}

// State is what a scheduler keeps between runs and restarts.
type State struct {
	Version int    `json:"version"`
	Domain  string `json:"domain"`
	// DirSyncCookie resumes the DirSync change stream where the last
	// process left it, so a restart does not re-read the whole domain.
	DirSyncCookie []byte `json:"dirsync_cookie,omitempty"`
	// LastRun is the last run that was not skipped.
	LastRun *RunState `json:"last_run,omitempty"`
	// LastSuccess is when a run last succeeded.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Removals are the removals applied within the last budget window, per
	// direction: the destructive-change budget's ledger (pipeline.Ledger).
	Removals []Removal `json:"removals,omitempty"`
	// EventCursor is where sync delta ticks resume reading Directory
	// Insights events; nil until a full sync run set it.
	EventCursor *EventCursor `json:"event_cursor,omitempty"`
}

// EventCursor is how far sync delta ticks have read JumpCloud's Directory
// Insights events. The next tick reads from Time minus a safety overlap
// (events are indexed late) and passes over the events in Seen.
type EventCursor struct {
	// Time is when the events up to it were read.
	Time time.Time `json:"time"`
	// SearchAfter is the X-Search_after of the last page read.
	SearchAfter json.RawMessage `json:"search_after,omitempty"`
	// Seen are the ids of events already acted on inside the overlap.
	Seen []string `json:"seen,omitempty"`
}

// Removal is one run's removals in the ledger.
type Removal struct {
	Direction reconcile.Direction `json:"direction"`
	At        time.Time           `json:"at"`
	N         int                 `json:"n"`
}

// NewState returns the empty state of domain.
func NewState(domain string) State { return State{Version: stateVersion, Domain: domain} }

// Check says whether this adjc can read st.
func (st State) Check() error {
	if st.Version != stateVersion {
		return fmt.Errorf("state has version %d, this adjc reads %d", st.Version, stateVersion)
	}
	return nil
}

// Clone returns a copy sharing no memory with st.
func (st State) Clone() State {
	c := st
	c.DirSyncCookie = append([]byte(nil), st.DirSyncCookie...)
	c.Removals = append([]Removal(nil), st.Removals...)
	if st.LastRun != nil {
		lr := *st.LastRun
		c.LastRun = &lr
	}
	if st.EventCursor != nil {
		ec := *st.EventCursor
		ec.SearchAfter = append(json.RawMessage(nil), ec.SearchAfter...)
		ec.Seen = append([]string(nil), ec.Seen...)
		c.EventCursor = &ec
	}
	return c
}

// RunState is a [Record] as stored: the error as text.
type RunState struct {
	Trigger  TriggerKind   `json:"trigger"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Summary  Summary       `json:"summary"`
	Paused   bool          `json:"paused,omitempty"`
	Error    string        `json:"error,omitempty"`
}

func newRunState(rec Record) *RunState {
	rs := &RunState{Trigger: rec.Trigger.Kind, Started: rec.Started, Duration: rec.Duration, Summary: rec.Summary, Paused: rec.Paused}
	if rec.Err != nil {
		rs.Error = rec.Err.Error()
	}
	return rs
}

var _ StateStore = (*Store)(nil)

// Store keeps one domain's [State] in a file in the state folder. It is safe
// for concurrent use within one process; [AcquireLock] keeps other
// processes away.
type Store struct {
	path string

	mu    sync.Mutex
	state State
}

// OpenStore reads the domain's state from dir (created with mode 0700 if
// missing), or starts an empty state when there is no file yet.
func OpenStore(dir, domain string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("schedule: no state folder configured (set state_dir or $ADJC_STATE_DIR)")
	}
	if err := config.PrivateDir("state_dir", dir); err != nil { // 0700 even if it existed
		return nil, err
	}
	s := &Store{path: filepath.Join(dir, fileName(domain)+".state.json")}
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.state = NewState(domain)
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("schedule: read state: %w", err)
	}
	if err := json.Unmarshal(b, &s.state); err != nil {
		return nil, fmt.Errorf("schedule: read state %s: %w", s.path, err)
	}
	if err := s.state.Check(); err != nil {
		return nil, fmt.Errorf("schedule: %s: %w", s.path, err)
	}
	return s, nil
}

// Path returns the state file's path.
func (s *Store) Path() string { return s.path }

// State returns a copy of the current state.
func (s *Store) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Clone()
}

// Update changes the state with f and writes it atomically: to a
// temporary file in the same folder (0600), synced, then renamed over the
// old one, so a crash leaves the old state or the new one, never half.
// On a write error the state in memory is unchanged too.
func (s *Store) Update(f func(*State)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.state
	f(&next)
	b, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return fmt.Errorf("schedule: encode state: %w", err)
	}
	if err := writeFileAtomic(s.path, append(b, '\n')); err != nil {
		return fmt.Errorf("schedule: write state: %w", err)
	}
	s.state = next
	return nil
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// CreateTemp already uses 0600; Chmod states it for umask-proof reading.
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	// Persist the rename itself; not possible (nor needed) on every OS.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// fileName turns a domain name into a safe file name: letters, digits, dot,
// dash and underscore are kept, anything else becomes an underscore.
func fileName(domain string) string {
	if domain == "" {
		return "default"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, strings.ToLower(domain))
}

// ledgerKeep is how long ledger entries are kept: longer than any budget
// window anyone would set, so that a wider window set later still sees them.
const ledgerKeep = 7 * 24 * time.Hour

// Spent returns the removals recorded for dir since the given time
// (pipeline.Ledger).
func (s *Store) Spent(dir reconcile.Direction, since time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.RemovalsSince(dir, since), nil
}

// RemovalsSince sums the removals recorded for dir since the given time.
func (st State) RemovalsSince(dir reconcile.Direction, since time.Time) int {
	n := 0
	for _, r := range st.Removals {
		if r.Direction == dir && !r.At.Before(since) {
			n += r.N
		}
	}
	return n
}

// AddRemovals records n removals applied to dir at the given time and
// forgets entries older than a week.
func (st *State) AddRemovals(dir reconcile.Direction, at time.Time, n int) {
	kept := st.Removals[:0:0]
	for _, r := range st.Removals {
		if at.Sub(r.At) < ledgerKeep {
			kept = append(kept, r)
		}
	}
	st.Removals = append(kept, Removal{Direction: dir, At: at.UTC(), N: n})
}

// Record adds n removals applied to dir at the given time, forgetting
// entries older than a week (pipeline.Ledger).
func (s *Store) Record(dir reconcile.Direction, at time.Time, n int) error {
	return s.Update(func(st *State) { st.AddRemovals(dir, at, n) })
}

// approvalGlob matches the files 'adjc approve' leaves for domain and dir.
func (s *Store) approvalGlob(dir reconcile.Direction) string {
	return strings.TrimSuffix(s.path, ".state.json") + ".approved." + string(dir) + ".*"
}

// Approved returns the removals released with [Approve] and not yet used
// (pipeline.Ledger). Each release is a file of its own, so releasing never
// needs the lock a running scheduler holds.
func (s *Store) Approved(dir reconcile.Direction) (int, error) {
	files, err := filepath.Glob(s.approvalGlob(dir))
	if err != nil {
		return 0, err
	}
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, fmt.Errorf("schedule: read approval: %w", err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("schedule: approval %s does not hold a count", f)
		}
		total += n
	}
	return total, nil
}

// ClearApproved removes the releases [Approved] counted (pipeline.Ledger).
func (s *Store) ClearApproved(dir reconcile.Direction) error {
	files, err := filepath.Glob(s.approvalGlob(dir))
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("schedule: approval: %w", err)
		}
	}
	return nil
}

// Approve releases n removals for domain and dir beyond the budget: the next
// run that would hold them (scheduled or one-shot) applies them. It writes a
// file of its own in the state folder, so it works while a scheduler holds
// the domain's lock.
func Approve(stateDir, domain string, dir reconcile.Direction, n int, now time.Time) (string, error) {
	if stateDir == "" {
		return "", errors.New("schedule: no state folder configured (set state_dir or $ADJC_STATE_DIR)")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", fmt.Errorf("schedule: state folder: %w", err)
	}
	path := filepath.Join(stateDir, fmt.Sprintf("%s.approved.%s.%d", fileName(domain), dir, now.UnixNano()))
	if err := writeFileAtomic(path, []byte(strconv.Itoa(n)+"\n")); err != nil {
		return "", fmt.Errorf("schedule: approve: %w", err)
	}
	return path, nil
}

// pauseFile is where [Pause] leaves the pause flag of domain in dir.
func pauseFile(dir, domain string) string {
	return filepath.Join(dir, fileName(domain)+".paused")
}

// Pause sets the domain's pause flag: a running scheduler skips every run
// from its next one until [Resume], and a scheduler started meanwhile starts
// paused. The flag is a file of its own, so pausing works while a scheduler
// holds the domain's lock, and it says when it was set.
func Pause(stateDir, domain string, now time.Time) error {
	if stateDir == "" {
		return errors.New("schedule: no state folder configured (set state_dir or $ADJC_STATE_DIR)")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("schedule: state folder: %w", err)
	}
	if err := writeFileAtomic(pauseFile(stateDir, domain), []byte(now.UTC().Format(time.RFC3339)+"\n")); err != nil {
		return fmt.Errorf("schedule: pause: %w", err)
	}
	return nil
}

// Resume clears the domain's pause flag; resuming a domain that is not
// paused is not an error.
func Resume(stateDir, domain string) error {
	if stateDir == "" {
		return errors.New("schedule: no state folder configured (set state_dir or $ADJC_STATE_DIR)")
	}
	if err := os.Remove(pauseFile(stateDir, domain)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("schedule: resume: %w", err)
	}
	return nil
}

// PausedSince reports whether the domain's pause flag is set, and since when.
func PausedSince(stateDir, domain string) (bool, time.Time, error) {
	b, err := os.ReadFile(pauseFile(stateDir, domain))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, time.Time{}, nil
	case err != nil:
		return false, time.Time{}, fmt.Errorf("schedule: pause flag: %w", err)
	}
	at, _ := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
	return true, at, nil
}

// fullFile is where [RequestFull] leaves its request for domain in dir.
func fullFile(dir, domain string) string {
	return filepath.Join(dir, fileName(domain)+".full-now")
}

// RequestFull asks the domain's scheduler for a full reconcile at its next
// tick instead of a delta ('adjc schedule full-now'); a file of its own, so
// it works while the scheduler holds the lock.
func RequestFull(stateDir, domain string, now time.Time) error {
	if stateDir == "" {
		return errors.New("schedule: no state folder configured (set state_dir or $ADJC_STATE_DIR)")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("schedule: state folder: %w", err)
	}
	if err := writeFileAtomic(fullFile(stateDir, domain), []byte(now.UTC().Format(time.RFC3339)+"\n")); err != nil {
		return fmt.Errorf("schedule: full-now: %w", err)
	}
	return nil
}

// TakeFullRequest reports whether a full reconcile was asked for, and clears
// the request.
func TakeFullRequest(stateDir, domain string) (bool, error) {
	err := os.Remove(fullFile(stateDir, domain))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("schedule: full-now: %w", err)
}
