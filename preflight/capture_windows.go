//go:build windows

package preflight

import (
	"errors"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// windowsFilter reads whether this host is a DC (ProductType LanmanNT) and
// whether adjcfilt is among the LSA's Notification Packages.
func windowsFilter() (windows, dc, registered bool, err error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Control\ProductOptions`, registry.QUERY_VALUE)
	if err == nil {
		pt, _, perr := k.GetStringValue("ProductType")
		k.Close()
		dc = perr == nil && strings.EqualFold(pt, "LanmanNT")
	}
	lsa, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Control\Lsa`, registry.QUERY_VALUE)
	if err != nil {
		return true, dc, false, err
	}
	defer lsa.Close()
	pkgs, _, err := lsa.GetStringsValue("Notification Packages")
	if err != nil && !errors.Is(err, registry.ErrNotExist) {
		return true, dc, false, err
	}
	for _, p := range pkgs {
		if strings.EqualFold(strings.TrimSpace(p), "adjcfilt") {
			registered = true
		}
	}
	return true, dc, registered, nil
}
