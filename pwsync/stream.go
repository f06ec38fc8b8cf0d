package pwsync

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
)

// ReadStream reads request frames from r (a capture point writing to adjc's
// stdin) and queues every "notify" on d until r ends or ctx is done; a
// stream has no way back, so "filter" requests are refused as errors. A
// malformed frame ends the stream: its framing can no longer be trusted.
func ReadStream(ctx context.Context, r io.Reader, d *Deliverer) error {
	br := bufio.NewReader(r)
	for ctx.Err() == nil {
		req, err := DecodeRequest(br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("password changes on stdin: %w", err)
		}
		if req.Op != OpNotify {
			clear(req.Password)
			return fmt.Errorf("password changes on stdin: op %q has no reply channel here", req.Op)
		}
		d.Enqueue(req)
	}
	return nil
}
