package commands

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
)

// logControl lets the root command set the level and format of a logger
// that was built, and handed to every command, before flags were parsed.
type logControl struct {
	level *slog.LevelVar
	json  *atomic.Bool
	out   *swapWriter
}

// setOutput sends every later log line to w instead: `service run` has no
// console, so it logs to a file.
func (c *logControl) setOutput(w io.Writer) { c.out.w.Store(&w) }

// swapWriter writes to the writer last stored in it.
type swapWriter struct{ w atomic.Pointer[io.Writer] }

func (s *swapWriter) Write(p []byte) (int, error) { return (*s.w.Load()).Write(p) }

// set applies -v/-vv and --log-format: warn by default, info with -v,
// debug with -vv.
func (c *logControl) set(verbosity int, format string) {
	switch {
	case verbosity >= 2:
		c.level.Set(slog.LevelDebug)
	case verbosity == 1:
		c.level.Set(slog.LevelInfo)
	default:
		c.level.Set(slog.LevelWarn)
	}
	c.json.Store(format == "json")
}

// atLeastInfo raises a level left at the default (warn) to info: a command
// that runs for a long time unattended (schedule) says it started and what
// each run did without -v. -vv still gives debug.
func (c *logControl) atLeastInfo() {
	if c.level.Level() > slog.LevelInfo {
		c.level.Set(slog.LevelInfo)
	}
}

func newLogger(w io.Writer) (*slog.Logger, *logControl) {
	c := &logControl{level: new(slog.LevelVar), json: new(atomic.Bool), out: new(swapWriter)}
	c.setOutput(w)
	c.level.Set(slog.LevelWarn)
	opts := &slog.HandlerOptions{Level: c.level}
	jsOpts := &slog.HandlerOptions{Level: c.level, ReplaceAttr: durationSeconds}
	h := &switchHandler{json: c.json, text: slog.NewTextHandler(c.out, opts), js: slog.NewJSONHandler(c.out, jsOpts)}
	return slog.New(h), c
}

// switchHandler sends records to the text or the JSON handler, whichever
// --log-format chose; both share one level.
type switchHandler struct {
	json     *atomic.Bool
	text, js slog.Handler
}

func (h *switchHandler) pick() slog.Handler {
	if h.json.Load() {
		return h.js
	}
	return h.text
}

func (h *switchHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.pick().Enabled(ctx, l)
}

func (h *switchHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.pick().Handle(ctx, r)
}

func (h *switchHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &switchHandler{json: h.json, text: h.text.WithAttrs(as), js: h.js.WithAttrs(as)}
}

func (h *switchHandler) WithGroup(name string) slog.Handler {
	return &switchHandler{json: h.json, text: h.text.WithGroup(name), js: h.js.WithGroup(name)}
}

// durationSeconds writes durations in JSON logs as seconds, a number a
// collector can sum and compare ("duration":0.084), where slog's JSON
// handler would write integer nanoseconds. Text logs keep Go's "84ms".
func durationSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}
