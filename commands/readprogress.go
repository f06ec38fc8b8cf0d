package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/output"
)

// readProgress shows the two reads of a run (Active Directory and
// JumpCloud, which run at the same time) on one stderr line that it
// rewrites, on a terminal only: "reading Active Directory… · reading
// JumpCloud… 3 pages". Off a terminal it prints nothing, so transcripts and
// goldens do not depend on timing. When both reads are over, finish logs
// what was read and how long it took at info level (-v), on a terminal or
// not.
type readProgress struct {
	io    *output.Streams
	log   *slog.Logger
	dir   string // the command the read is for: import or sync
	on    bool
	start time.Time

	mu     sync.Mutex
	pages  int
	ad, jc readStat
	shown  bool
}

// readStat is one side's read once it is over.
type readStat struct {
	done          bool
	users, groups int
	took          time.Duration
}

func newReadProgress(io *output.Streams, log *slog.Logger, dir string) *readProgress {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &readProgress{io: io, log: log, dir: dir, on: io.IsStderrTTY(), start: time.Now()}
	p.draw()
	return p
}

// jumpCloud returns ctx with a trace that counts JumpCloud's answers, one
// per page or lookup.
func (p *readProgress) jumpCloud(ctx context.Context) context.Context {
	return jcapi.WithTrace(ctx, &jcapi.Trace{Response: func(string, string, int) { p.response() }})
}

// response counts one JumpCloud answer.
func (p *readProgress) response() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pages++
	p.drawLocked()
}

// adDone records that Active Directory was read.
func (p *readProgress) adDone(users, groups int) { p.done(&p.ad, users, groups) }

// jcDone records that JumpCloud was read.
func (p *readProgress) jcDone(users, groups int) { p.done(&p.jc, users, groups) }

func (p *readProgress) done(s *readStat, users, groups int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	*s = readStat{done: true, users: users, groups: groups, took: time.Since(p.start)}
	p.drawLocked()
}

func (p *readProgress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawLocked()
}

func (p *readProgress) drawLocked() {
	if !p.on {
		return
	}
	ad := "reading Active Directory…"
	if p.ad.done {
		ad = "read Active Directory: " + users(p.ad.users)
	}
	jc := "reading JumpCloud… " + output.Plural(p.pages, "page", "pages")
	if p.jc.done {
		jc = "read JumpCloud: " + users(p.jc.users) + ", " + output.Plural(p.pages, "page", "pages")
	}
	// \r and erase-to-end rewrite the line in place (a terminal only).
	fmt.Fprintf(p.io.ErrOut, "\r%s · %s\x1b[K", ad, jc)
	p.shown = true
}

// finish ends the progress line and logs both reads at info level.
func (p *readProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprintln(p.io.ErrOut)
		p.shown = false
	}
	p.on = false
	if p.ad.done {
		p.log.Info("read Active Directory", "for", p.dir, "users", p.ad.users, "groups", p.ad.groups, "duration", p.ad.took)
	}
	if p.jc.done {
		p.log.Info("read JumpCloud", "for", p.dir, "users", p.jc.users, "groups", p.jc.groups, "requests", p.pages, "duration", p.jc.took)
	}
}

// users is "1 user", "1,600 users".
func users(n int) string {
	if n == 1 {
		return "1 user"
	}
	return thousands(n) + " users"
}

// thousands writes n with a comma every three digits: 1600 → "1,600".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
