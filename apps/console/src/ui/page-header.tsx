import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';

// Set by the shell on navigation when the new page's heading is not rendered yet (its data is
// still loading); the heading takes focus when it appears.
let headingFocusPending = false;

/** After a navigation, move focus to the page's heading now or as soon as it renders. */
export function focusPageHeading(): void {
  // The heading found may be the previous page's, hidden while the next one loads: then it
  // cannot take focus and the next page's heading will.
  const heading = document.getElementById('page-title');
  heading?.focus();
  headingFocusPending = !heading || document.activeElement !== heading;
}

/** The page's one h1; the shell moves focus to it after each navigation. */
export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (headingFocusPending) {
      headingFocusPending = false;
      ref.current?.focus();
    }
  }, []);
  return (
    <div className="page-header">
      <h1 tabIndex={-1} id="page-title" ref={ref}>
        {title}
      </h1>
      {children ? <div className="page-actions">{children}</div> : null}
    </div>
  );
}
