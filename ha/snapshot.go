package ha

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/adjc/adjc/schedule"
	clientv3 "go.etcd.io/etcd/client/v3"
)

var errNotLeader = fmt.Errorf("ha: %w", schedule.ErrNotLeader)

// snapshotChunk is the most data one etcd request carries: etcd refuses
// requests over 1.5 MiB by default (--max-request-bytes).
const snapshotChunk = 1 << 20

// maxSnapshot bounds the compressed snapshot; a bigger one is not shared
// (a new leader then starts with a full run).
const maxSnapshot = 64 << 20

// Snapshot is what a delta run plans against: the last full read of the
// domain, shared so that a new leader continues with a delta run instead of
// reading everything.
type Snapshot struct {
	// Fingerprint identifies the configuration the read was made with; a
	// snapshot from another configuration is not used.
	Fingerprint string `json:"fingerprint"`
	// Cookie is a DirSync cookie read before the full read began: a delta
	// from it covers every change the read may have missed.
	Cookie []byte `json:"cookie"`
	// Taken is when the full read began.
	Taken time.Time `json:"taken"`
	// Data is the read itself, uncompressed (package commands' encoding).
	Data []byte `json:"-"`
}

// snapshotMeta is the value of the snapshot key: the description, and
// where the compressed data is.
type snapshotMeta struct {
	Snapshot
	Instance string `json:"instance"`
	Gen      string `json:"gen"`
	Chunks   int    `json:"chunks"`
	Size     int    `json:"size"`   // compressed bytes
	SHA256   string `json:"sha256"` // of the compressed bytes
}

func (s *Store) chunkPrefix(gen string) string { return s.keys.snapshot + "-data/" + gen + "/" }

// SaveSnapshot shares snap with the group, fenced like every write: the
// data gzip'd, in chunks under <prefix>/<domain>/snapshot-data/<gen>/, then
// the description at <prefix>/<domain>/snapshot, then the previous
// generation's chunks are deleted. When the data did not change since the
// last save, only the description is written (etcd keeps every revision
// until it compacts: a full run that found nothing new costs a few
// hundred bytes).
func (s *Store) SaveSnapshot(ctx context.Context, instance string, snap Snapshot) error {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(snap.Data); err != nil {
		return fmt.Errorf("ha: snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("ha: snapshot: %w", err)
	}
	if gz.Len() > maxSnapshot {
		return fmt.Errorf("ha: snapshot: %d bytes compressed, more than the %d shared", gz.Len(), maxSnapshot)
	}
	sum := sha256.Sum256(gz.Bytes())
	meta := snapshotMeta{Snapshot: snap, Instance: instance, Size: gz.Len(), SHA256: hex.EncodeToString(sum[:])}
	old, _, err := s.readMeta(ctx)
	if err != nil {
		return err
	}
	same := old != nil && old.SHA256 == meta.SHA256 && old.Size == meta.Size
	if same {
		meta.Gen, meta.Chunks = old.Gen, old.Chunks
	} else {
		meta.Gen = strconv.FormatInt(snap.Taken.UnixNano(), 36) + "-" + keyName(instance)
		data := gz.Bytes()
		for i := 0; len(data) > 0; i++ {
			n := min(len(data), snapshotChunk)
			if err := s.guarded(ctx, clientv3.OpPut(s.chunkPrefix(meta.Gen)+fmt.Sprintf("%06d", i), string(data[:n]))); err != nil {
				s.dropGen(meta.Gen)
				return fmt.Errorf("ha: snapshot: %w", err)
			}
			data = data[n:]
			meta.Chunks = i + 1
		}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("ha: snapshot: %w", err)
	}
	if err := s.guarded(ctx, clientv3.OpPut(s.keys.snapshot, string(b))); err != nil {
		if !same {
			s.dropGen(meta.Gen)
		}
		return fmt.Errorf("ha: snapshot: %w", err)
	}
	if old != nil && !same {
		s.dropGen(old.Gen)
	}
	return nil
}

// guarded runs op if this instance may write.
func (s *Store) guarded(ctx context.Context, op clientv3.Op) error {
	cmps, lost, ok := s.guard()
	if !ok {
		return errNotLeader
	}
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := s.c.Txn(tctx).If(cmps...).Then(op).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		lost("election key gone or replaced")
		return errNotLeader
	}
	return nil
}

// dropGen deletes a generation's chunks, fenced, best effort: one left
// behind costs space, not correctness.
func (s *Store) dropGen(gen string) {
	if gen == "" {
		return
	}
	if err := s.guarded(context.Background(), clientv3.OpDelete(s.chunkPrefix(gen), clientv3.WithPrefix())); err != nil {
		s.log.Debug("old snapshot data not deleted", "gen", gen, "error", err)
	}
}

func (s *Store) readMeta(ctx context.Context) (*snapshotMeta, int64, error) {
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := s.c.Get(tctx, s.keys.snapshot)
	if err != nil {
		return nil, 0, fmt.Errorf("ha: read snapshot: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return nil, resp.Header.Revision, nil
	}
	var m snapshotMeta
	if err := json.Unmarshal(resp.Kvs[0].Value, &m); err != nil {
		return nil, 0, fmt.Errorf("ha: read snapshot %s: %w", s.keys.snapshot, err)
	}
	return &m, resp.Header.Revision, nil
}

// LoadSnapshot returns the snapshot the group shares; ok is false when
// there is none, or its data is incomplete (a leader died while writing a
// new one: its description still names the previous generation, which is
// then complete).
func (s *Store) LoadSnapshot(ctx context.Context) (snap Snapshot, ok bool, err error) {
	m, rev, err := s.readMeta(ctx)
	if err != nil || m == nil {
		return Snapshot{}, false, err
	}
	// The chunks as of the description's revision: a save in progress
	// cannot mix generations into what is read here.
	tctx, cancel := context.WithTimeout(ctx, 4*opTimeout)
	defer cancel()
	resp, err := s.c.Get(tctx, s.chunkPrefix(m.Gen), clientv3.WithPrefix(), clientv3.WithRev(rev),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("ha: read snapshot data: %w", err)
	}
	if len(resp.Kvs) != m.Chunks {
		return Snapshot{}, false, nil
	}
	var gz bytes.Buffer
	for _, kv := range resp.Kvs {
		gz.Write(kv.Value)
	}
	if sum := sha256.Sum256(gz.Bytes()); hex.EncodeToString(sum[:]) != m.SHA256 {
		return Snapshot{}, false, nil
	}
	zr, err := gzip.NewReader(&gz)
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("ha: snapshot data: %w", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("ha: snapshot data: %w", err)
	}
	snap = m.Snapshot
	snap.Data = data
	return snap, true, nil
}
