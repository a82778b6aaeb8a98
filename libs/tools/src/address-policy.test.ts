import { describe, expect, it } from "vitest";
import { addressRefusal } from "./address-policy.js";

describe("addressRefusal", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["192.168.1.1", "private"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["100.64.0.1", "carrier-grade NAT (100.64.0.0/10)"],
    ["169.254.169.254", "cloud metadata"],
    ["fd00:ec2::254", "cloud metadata"],
    ["100.100.100.200", "cloud metadata"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:a9fe:a9fe", "cloud metadata"],
    ["::ffff:10.1.2.3", "private"],
    ["::7f00:1", "IPv4-compatible"],
    ["64:ff9b::7f00:1", "NAT64"],
    ["2002:7f00:1::", "6to4"],
    ["2001:db8::1", "reserved"],
    ["192.0.2.1", "reserved"],
    ["not-an-ip", "not an IP address"],
  ])("refuses %s (%s)", (address, why) => {
    expect(addressRefusal(address)).toBe(why);
  });

  it.each(["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])(
    "allows public %s",
    (address) => {
      expect(addressRefusal(address)).toBeUndefined();
    },
  );

  it("allows loopback, and only loopback, when tests ask for it", () => {
    expect(addressRefusal("127.0.0.1", { allowLoopback: true })).toBeUndefined();
    expect(addressRefusal("::1", { allowLoopback: true })).toBeUndefined();
    expect(addressRefusal("10.0.0.1", { allowLoopback: true })).toBe("private");
    expect(addressRefusal("169.254.169.254", { allowLoopback: true })).toBe("cloud metadata");
  });
});
