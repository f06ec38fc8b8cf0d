// This file holds what connect proves before it writes: that every bind
// account binds and the API key reads.

package commands

import (
	"context"
	"fmt"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
)

// checkBind dials d as the account of direction dir and closes the
// connection (ConnectOptions.CheckBind).
func checkBind(f *Factory) func(context.Context, *config.Domain, config.Direction) error {
	return func(ctx context.Context, d *config.Domain, dir config.Direction) error {
		conn, err := f.DirectoryFor(ctx, d, dir)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// proveCredentials binds as every account the domain names and reads
// JumpCloud once, before connect writes anything: a wrong password or key
// is said as such, naming which one failed, and nothing is saved or
// created.
func proveCredentials(ctx context.Context, opts *ConnectOptions, d *config.Domain, jc *jcapi.Client) error {
	for _, a := range d.Accounts() {
		if !a.Password.IsSet() && !opts.IO.CanPrompt() {
			// Nothing to bind with yet: connect says below that the
			// password must be stored before import or sync.
			opts.IO.WriteErrLine(fmt.Sprintf("Not checked: %s binds, since no password is set for it (%s).", a.Bind, a.Field))
			continue
		}
		dir := config.DirectionImport
		if len(a.Directions) > 0 {
			dir = a.Directions[0]
		}
		if err := opts.CheckBind(ctx, d, dir); err != nil {
			return authHint(fmt.Errorf("the bind account %s (%s) could not bind to %s: %w; nothing was saved or created", a.Bind, a.Field, d.LDAPURL, err))
		}
	}
	for _, err := range jc.Organizations(ctx) {
		if err != nil {
			return authHint(fmt.Errorf("the JumpCloud API key could not read the organization: %w; nothing was saved or created", err))
		}
		break
	}
	return nil
}
