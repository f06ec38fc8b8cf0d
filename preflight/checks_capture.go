// This file holds the password-capture check: whether the domain controller
// adjc runs on hands password changes to 'adjc password-sync'.

package preflight

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/adjc/adjc/winservice"
)

// DefaultSambaConf is where a Samba AD DC keeps its configuration.
const DefaultSambaConf = "/etc/samba/smb.conf"

// CaptureFacts are what this host shows about password capture: a Samba AD
// DC's smb.conf, or a Windows DC's LSA notification packages.
type CaptureFacts struct {
	// SambaConf is the smb.conf read; SambaDC is set when its server role
	// is an AD DC, and GPGKeyIDs holds its 'password hash gpg key ids'.
	SambaConf string
	SambaDC   bool
	GPGKeyIDs string
	// Windows is set on Windows; FilterRegistered when adjcfilt is among
	// HKLM\SYSTEM\CurrentControlSet\Control\Lsa's Notification Packages
	// and WindowsDC when this host is a domain controller.
	Windows, WindowsDC, FilterRegistered bool
	// Service is the adjc Windows service (adjc service install), read
	// on Windows only.
	Service winservice.Info
	Err     error
}

// gatherCapture reads smb.conf at path (a missing file is no error: this is
// not a Samba DC) and, on Windows, the LSA notification packages.
func gatherCapture(path string) CaptureFacts {
	if path == "" {
		path = DefaultSambaConf
	}
	c := CaptureFacts{}
	c.Windows, c.WindowsDC, c.FilterRegistered, c.Err = windowsFilter()
	if c.Windows && c.Err == nil {
		c.Service, c.Err = winservice.Query(winServiceName)
	}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c
	case err != nil:
		if c.Err == nil {
			c.Err = err
		}
		return c
	}
	defer f.Close()
	c.SambaConf = path
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		// smb.conf keys ignore case and spaces ("server role", "serverrole").
		key := strings.ToLower(strings.ReplaceAll(k, " ", ""))
		v = strings.TrimSpace(v)
		switch key {
		case "serverrole":
			c.SambaDC = strings.Contains(strings.ToLower(v), "domain controller")
		case "passwordhashgpgkeyids":
			c.GPGKeyIDs = v
		}
	}
	if err := sc.Err(); err != nil && c.Err == nil {
		c.Err = err
	}
	return c
}

// captureChecks says whether password changes on this DC reach adjc
// (issue: AD → JumpCloud passwords are caught where a DC accepts them).
func captureChecks(f Facts) []Check {
	out := captureCheck(f.Capture)
	if f.Capture.Windows && f.Capture.Err == nil {
		out = append(out, serviceCheck(f.Capture))
	}
	return out
}

// winServiceName is the name 'adjc service install' gives the service
// unless --name says otherwise.
const winServiceName = "adjc"

// serviceCheck says whether the adjc Windows service is installed and,
// on a DC whose filter is registered, whether it serves the filter's pipe.
func serviceCheck(c CaptureFacts) Check {
	const a, n = AreaPasswords, "service"
	s := c.Service
	pipe := strings.Contains(s.CommandLine, "--what password-sync") || strings.Contains(s.CommandLine, "--what both")
	needPipe := c.WindowsDC && c.FilterRegistered
	switch {
	case !s.Installed && needPipe:
		return check(a, n, Warn, "no adjc service is installed here: the password filter's changes are dropped",
			"adjc service install --config <file> --what both, then adjc service start (README: Running as a service, Windows)")
	case !s.Installed:
		return check(a, n, Skip, "no adjc service is installed here (adjc service install)", "")
	case needPipe && !pipe:
		return check(a, n, Warn, "the adjc service runs only schedule: nothing serves the password filter's pipe",
			"adjc service uninstall, then adjc service install --what both")
	}
	return check(a, n, Pass, fmt.Sprintf("the adjc service is installed (%s start, %s)", s.StartType, s.State), "")
}

func captureCheck(c CaptureFacts) []Check {
	const a, n = AreaPasswords, "capture"
	switch {
	case c.Err != nil:
		return []Check{check(a, n, Warn, "could not tell whether password capture is set up here: "+errText(c.Err), "")}
	case c.Windows && c.WindowsDC && c.FilterRegistered:
		return []Check{check(a, n, Pass, "the adjcfilt password filter is registered in the LSA Notification Packages of this domain controller", "")}
	case c.Windows && c.WindowsDC:
		return []Check{check(a, n, Warn, "this domain controller does not hand password changes to adjc: adjcfilt is not in the LSA Notification Packages",
			"install adjcfilt.dll and register it (README: Password sync on Windows), on every DC, then restart the DC")}
	case c.SambaDC && c.GPGKeyIDs != "":
		return []Check{check(a, n, Pass, "this Samba DC keeps changed passwords for capture (password hash gpg key ids = "+c.GPGKeyIDs+" in "+c.SambaConf+"): run 'adjc password-sync --source samba'", "")}
	case c.SambaDC:
		return []Check{check(a, n, Warn, "this Samba DC does not keep changed passwords for capture: "+c.SambaConf+" has no 'password hash gpg key ids'",
			"add 'password hash gpg key ids = <key id>' to [global] on every DC and restart samba (README: Password sync on Samba)")}
	}
	return []Check{check(a, n, Skip, "not run on a domain controller: password capture is set up on each DC (README: Password sync)", "")}
}
