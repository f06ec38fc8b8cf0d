package commands

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ha"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// haGroup is this process's place in a domain's HA group (ha.etcd set):
// the election, the shared state and the etcd client under both.
type haGroup struct {
	client  *clientv3.Client
	elector *ha.Elector
	store   *ha.Store
	// writer is the group's writer lock, on the election's lease: the
	// leader takes it for each run.
	writer *ha.WriterLock
	// elected receives a value each time this instance becomes leader.
	elected chan struct{}
	stop    context.CancelFunc
	done    chan error
}

func haConfig(e config.Etcd) ha.Config {
	return ha.Config{Endpoints: e.Endpoints, CAFile: e.CAFile, CertFile: e.CertFile, KeyFile: e.KeyFile,
		Prefix: e.Prefix, LeaseTTL: e.LeaseTTL}
}

// joinHA connects to etcd, reads the shared state and starts campaigning.
// It fails when etcd does not answer: a scheduler configured for a group
// must not run alone.
func joinHA(ctx context.Context, cfg *config.Config, d *config.Domain, log *slog.Logger) (*haGroup, error) {
	hc := haConfig(cfg.HA)
	cl, err := ha.Dial(hc)
	if err != nil {
		return nil, err
	}
	g := &haGroup{client: cl, elected: make(chan struct{}, 1), done: make(chan error, 1)}
	g.elector, err = ha.NewElector(cl, ha.ElectorOptions{
		Config: hc, Domain: d.Name, Logger: log, // log: the command's, without the domain
		OnChange: func(leader bool) {
			if leader {
				select {
				case g.elected <- struct{}{}:
				default: // a run is already due
				}
			}
		},
	})
	if err != nil {
		cl.Close()
		return nil, err
	}
	g.store, err = ha.OpenStore(ctx, cl, g.elector)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("%w (ha.etcd.endpoints %v)", err, hc.Endpoints)
	}
	g.writer = g.elector.WriterLock()
	// The election outlives ctx until close: a stop lets the current run
	// finish as leader, then resigns.
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	g.stop = stop
	go func() { g.done <- g.elector.Run(runCtx) }()
	log.Info("joined the HA group", "domain", d.Name, "instance", g.elector.Instance(), "endpoints", hc.Endpoints)
	return g, nil
}

// close resigns (another instance takes over at once) and disconnects.
func (g *haGroup) close() {
	g.stop()
	<-g.done
	g.writer.Close()
	g.client.Close()
}

// paused is the group's pause check: the flag in etcd ('adjc schedule
// pause' with ha.etcd), or this host's own flag (local).
func (g *haGroup) paused(cfg *config.Config, d *config.Domain, local func(context.Context) (bool, error)) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		shared, _, err := ha.PausedSince(ctx, g.client, cfg.HA.Prefix, d.Name)
		if err != nil || shared || local == nil {
			return shared, err
		}
		return local(ctx)
	}
}
