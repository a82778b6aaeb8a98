import ipaddr from "ipaddr.js";

/** Addresses of cloud instance-metadata services, named apart because they hand out credentials. */
const METADATA = new Set(["169.254.169.254", "fd00:ec2::254", "100.100.100.200"]);

const RANGE_NAMES: Record<string, string> = {
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  linkLocal: "link-local",
  loopback: "loopback",
  carrierGradeNat: "carrier-grade NAT (100.64.0.0/10)",
  private: "private",
  uniqueLocal: "unique-local",
  reserved: "reserved",
  deprecatedSiteLocal: "site-local",
  ipv4Mapped: "IPv4-mapped",
  rfc6145: "IPv4-translated",
  rfc6052: "NAT64",
  "6to4": "6to4",
  teredo: "Teredo",
};

/** Why an address may not be contacted, or `undefined` for a public unicast address. */
export function addressRefusal(
  address: string,
  options: { allowLoopback?: boolean } = {},
): string | undefined {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return "not an IP address";
  }
  if (ip.kind() === "ipv6") {
    const v6 = ip as ipaddr.IPv6;
    // An IPv4-mapped address reaches the IPv4 host, so it is judged as that host.
    if (v6.isIPv4MappedAddress()) return addressRefusal(v6.toIPv4Address().toString(), options);
  }
  if (METADATA.has(ip.toString())) return "cloud metadata";
  const range = ip.range();
  if (range === "loopback" && options.allowLoopback === true) return undefined;
  if (range !== "unicast") return RANGE_NAMES[range] ?? range;
  // The deprecated IPv4-compatible form (::a.b.c.d) is not in ipaddr's table.
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0))
    return "IPv4-compatible";
  return undefined;
}
