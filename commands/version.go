package commands

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/adjc/adjc/output"
	"github.com/spf13/cobra"
)

// VersionOptions are the inputs of `adjc version`.
type VersionOptions struct {
	IO        *output.Streams
	BuildInfo func() (*debug.BuildInfo, bool)
	Printer   func() *output.Printer
}

func newVersionCmd(f *Factory, runF func(context.Context, *VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO, BuildInfo: f.BuildInfo, Printer: f.Printer}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print adjc's version and how it was built",
		Long: `Print adjc's version, the commit it was built from and the Go toolchain,
as recorded by the Go linker in the binary (runtime/debug.ReadBuildInfo).
` + exitStatusSection,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVersion(cmd.Context(), opts)
		},
	}
	return cmd
}

// Version is what `adjc version` reports; its JSON shape is an API.
type Version struct {
	Version    string `json:"version"`
	Commit     string `json:"commit,omitempty"`
	CommitTime string `json:"commit_time,omitempty"`
	Modified   bool   `json:"modified,omitempty"`
	GoVersion  string `json:"go_version"`
	Platform   string `json:"platform,omitempty"`
}

// versionFrom reads the version out of build info: the module version for
// `go install …@v1.2.3`, "(devel)" for a local build, plus the VCS stamp
// and target platform when the build recorded them.
func versionFrom(bi *debug.BuildInfo, ok bool) Version {
	if !ok || bi == nil {
		return Version{Version: "unknown", GoVersion: "unknown"}
	}
	v := Version{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		v.Platform = goos + "/" + goarch
	}
	return v
}

// Report prints the version for people.
func (v Version) Report(s *output.Streams) error { return v.WritePlain(s.Out) }

// WritePlain prints "adjc <version>" and, on a second line, the details.
func (v Version) WritePlain(w io.Writer) error {
	details := v.GoVersion
	if v.Platform != "" {
		details += " " + v.Platform
	}
	if v.Commit != "" {
		details += ", commit " + v.Commit
		if v.CommitTime != "" {
			details += " (" + v.CommitTime + ")"
		}
		if v.Modified {
			details += ", modified"
		}
	}
	_, err := fmt.Fprintf(w, "adjc %s\n%s\n", v.Version, details)
	return err
}

func runVersion(_ context.Context, opts *VersionOptions) error {
	return opts.Printer().Print(versionFrom(opts.BuildInfo()))
}
