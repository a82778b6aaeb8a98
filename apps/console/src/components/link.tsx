import type { MouseEvent, ReactNode } from "react";
import { BASE, navigate } from "../router.js";

/** An in-console link: a real href (open in a new tab works), followed without a reload. */
export function Link(props: {
  to: string;
  children: ReactNode;
  className?: string;
  "aria-current"?: "page";
}) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a
      href={`${BASE}${props.to}`}
      onClick={onClick}
      className={props.className}
      aria-current={props["aria-current"]}
    >
      {props.children}
    </a>
  );
}
