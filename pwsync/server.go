package pwsync

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// FilterTimeout is how long a "filter" request may take: the Windows DLL
// waits 200 ms and then lets the change through, so an answer later than
// that is wasted.
const FilterTimeout = 150 * time.Millisecond

// ServeOptions configure [Serve].
type ServeOptions struct {
	// Authorize, when set, is asked about every connection before a byte
	// is read (the Unix socket checks the peer's uid); an error closes it.
	Authorize func(net.Conn) error
	Logger    *slog.Logger
}

// Serve answers requests on ln until ctx ends: one request per connection,
// "notify" queued on d (reply "queued", or "error" when d dropped it),
// "filter" checked against JumpCloud's policy (reply "ok" or "refused" with
// the rule names; "error" when the policy could not be read in time, which
// the filter treats as ok).
func Serve(ctx context.Context, ln net.Listener, d *Deliverer, opts ServeOptions) error {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			serveConn(ctx, c, d, opts)
		}()
	}
}

func serveConn(ctx context.Context, c net.Conn, d *Deliverer, opts ServeOptions) {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if opts.Authorize != nil {
		if err := opts.Authorize(c); err != nil {
			opts.Logger.Warn("password capture connection refused", "err", err)
			return
		}
	}
	req, err := DecodeRequest(bufio.NewReaderSize(c, 256))
	if err != nil {
		opts.Logger.Warn("password capture request unreadable", "err", err)
		_ = EncodeReply(c, Reply{Status: ReplyError, Message: "malformed request"})
		return
	}
	_ = EncodeReply(c, Handle(ctx, d, req))
}

// Handle answers one request; it is what [Serve] does per connection,
// exported for capture points that carry requests their own way (the
// Windows named pipe). It takes ownership of req.Password.
func Handle(ctx context.Context, d *Deliverer, req Request) Reply {
	switch req.Op {
	case OpNotify:
		if !d.Enqueue(req) {
			return Reply{Status: ReplyError, Message: "dropped: queue full or adjc stopping"}
		}
		return Reply{Status: ReplyQueued}
	case OpFilter:
		defer clear(req.Password)
		cctx, cancel := context.WithTimeout(ctx, FilterTimeout)
		defer cancel()
		rules, err := d.Check(cctx, req)
		if err != nil {
			return Reply{Status: ReplyError, Message: "policy unavailable"}
		}
		if len(rules) > 0 {
			return Reply{Status: ReplyRefused, Message: ruleNames(rules)}
		}
		return Reply{Status: ReplyOK}
	}
	clear(req.Password)
	return Reply{Status: ReplyError, Message: "unknown op"}
}
