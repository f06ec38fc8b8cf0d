// This file holds how a scheduled run reads: the targeted re-read of a
// watch or delta run, JumpCloud after a full run, the watch and the poller.

package commands

import (
	"context"
	"fmt"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/preflight"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
	"github.com/adjc/adjc/schedule/adwatch"
)

// readFresh re-reads the users a watch event names through f's AD and
// JumpCloud connections (adapter.ReadFresh).
func readFresh(f *Factory) func(context.Context, *config.Config, *config.Domain, *adapter.Snapshot, adapter.Changed) (reconcile.Fresh, reconcile.Target, func(), error) {
	return func(ctx context.Context, cfg *config.Config, d *config.Domain, snap *adapter.Snapshot, ch adapter.Changed) (reconcile.Fresh, reconcile.Target, func(), error) {
		jc, err := f.JumpCloud(cfg)
		if err != nil {
			return reconcile.Fresh{}, nil, nil, err
		}
		conn, err := f.DirectoryFor(ctx, d, config.DirectionImport)
		if err != nil {
			return reconcile.Fresh{}, nil, nil, fmt.Errorf("domain %s: %w", d.Name, err)
		}
		fresh, err := adapter.ReadFresh(ctx, conn, jc, snap, ch)
		if err != nil {
			conn.Close()
			return reconcile.Fresh{}, nil, nil, err
		}
		// external_dn of the users written comes from what was re-read.
		target := jumpCloudTarget(jc, reconcile.Directory{Users: fresh.Users}, d)
		return fresh, target, func() { conn.Close() }, nil
	}
}

// readCloud reads every JumpCloud user and group through f.
func readCloud(f *Factory) func(context.Context, *config.Config, *config.Domain) (reconcile.Cloud, error) {
	return func(ctx context.Context, cfg *config.Config, d *config.Domain) (reconcile.Cloud, error) {
		jc, err := f.JumpCloud(cfg)
		if err != nil {
			return reconcile.Cloud{}, err
		}
		return adapter.ReadCloudFor(ctx, jc, d.JumpCloudDomainID)
	}
}

// pollDomain opens DirSync polling of d for delta ticks, bound as the
// import account like the watch.
func pollDomain(f *Factory) func(context.Context, *config.Domain, schedule.StateStore) (*adwatch.Poller, error) {
	return func(ctx context.Context, d *config.Domain, store schedule.StateStore) (*adwatch.Poller, error) {
		a := d.BindFor(config.DirectionImport)
		pw, err := a.Password.Resolve()
		if err != nil {
			return nil, err
		}
		return adwatch.NewPoller(ctx, adwatch.Options{
			LDAP:  preflight.LDAPOptions(d, a.Bind, pw, f.Logger),
			Store: store, Now: f.Now, Logger: f.Logger,
			Mapped: watchedMapped(d),
		})
	}
}

// watchDomain opens the change stream of d with the same LDAP settings as
// every other connection to it.
func watchDomain(f *Factory) func(context.Context, *config.Domain, schedule.StateStore) (<-chan schedule.Event, error) {
	return func(ctx context.Context, d *config.Domain, store schedule.StateStore) (<-chan schedule.Event, error) {
		// The watch feeds import (AD → JumpCloud): it reads as that
		// direction's account.
		a := d.BindFor(config.DirectionImport)
		pw, err := a.Password.Resolve()
		if err != nil {
			return nil, err
		}
		return adwatch.Start(ctx, adwatch.Options{
			LDAP:  preflight.LDAPOptions(d, a.Bind, pw, f.Logger),
			Store: store, Now: f.Now, Logger: f.Logger,
			Mapped: watchedMapped(d),
		})
	}
}

// sinceDomain asks DirSync once what changed in d since a cookie, bound
// as the import account like the watch.
func sinceDomain(f *Factory) func(context.Context, *config.Domain, []byte) (schedule.Event, error) {
	return func(ctx context.Context, d *config.Domain, cookie []byte) (schedule.Event, error) {
		a := d.BindFor(config.DirectionImport)
		pw, err := a.Password.Resolve()
		if err != nil {
			return schedule.Event{}, err
		}
		return adwatch.Since(ctx, adwatch.Options{LDAP: preflight.LDAPOptions(d, a.Bind, pw, f.Logger), Now: f.Now, Logger: f.Logger, Mapped: watchedMapped(d)}, cookie)
	}
}

// watchedMapped are the AD attributes of d's field_mapping that a watch
// follows on top of the fields every import carries. With
// translation-rules every opt-in attribute is followed: the rules are
// JumpCloud's to change at any time, and a change to an attribute no rule
// maps only starts a targeted run that plans nothing. Names that are no
// field are left to the run, which refuses them.
func watchedMapped(d *config.Domain) []string {
	names, rules := d.MappedFields()
	if rules {
		return reconcile.MappedADAttributes(reconcile.OptInFields())
	}
	var fields []string
	for _, n := range names {
		if f, err := reconcile.OptInField(n); err == nil {
			fields = append(fields, f.Name)
		}
	}
	return reconcile.MappedADAttributes(fields)
}
