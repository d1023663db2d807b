// report.html in a real browser (Debian's Chromium, driven by playwright-core):
// opened from file:// it logs no console error and requests nothing but itself;
// axe-core finds no WCAG 2.1 AA violation; printed to PDF, every section heading
// is there and every SHA-256 of its audit trail stands whole on one line.
//
// Usage: node check.mjs OUT_DIR...   (each holding report.html and summary.json)
// Exits non-zero on the first failed check, and when Chromium cannot be started:
// a missing browser is a failure, never a skipped test.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";

// The section headings, in SPEC's order (the first is the page's title).
const HEADINGS = [
  "License plan change report",
  "Key figures",
  "Outcome per organization",
  "Subscriptions",
  "Errors to fix",
  "Back up first",
  "Warnings",
  "Moves",
  "Applying",
  "Audit trail",
];

function chromiumPath() {
  const candidates = [process.env.CHROMIUM, "/usr/lib/chromium/chromium", "/usr/bin/chromium"];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) {
    throw new Error("Chromium not found (apt-get install chromium, or set CHROMIUM): the browser checks cannot run");
  }
  return found;
}

function fail(dir, what) {
  console.error(`FAIL ${dir}: ${what}`);
  process.exitCode = 1;
  throw new Error(what);
}

async function check(browser, dir) {
  const file = resolve(dir, "report.html");
  const url = pathToFileURL(file).href;
  const summary = JSON.parse(readFileSync(resolve(dir, "summary.json"), "utf8"));
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => requests.push(r.url()));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForTimeout(300);

  // Console and network.
  if (problems.length) fail(dir, problems.join("; "));
  const others = requests.filter((r) => r !== url);
  if (others.length) fail(dir, `requests besides the report itself: ${others.join(", ")}`);
  if (requests.length !== 1) fail(dir, `expected one request (the report), saw ${requests.length}`);

  // Accessibility: WCAG 2.0 and 2.1, levels A and AA.
  const axe = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  if (axe.violations.length) {
    const list = axe.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(" | ")}`,
    );
    fail(dir, `axe-core: ${axe.violations.length} WCAG 2.1 AA violations:\n  ${list.join("\n  ")}`);
  }
  if (axe.passes.length === 0) fail(dir, "axe-core ran no check at all");

  // Printing: every heading, every SHA-256 of the audit trail whole on one line.
  const work = mkdtempSync(join(tmpdir(), "replan-pdf-"));
  try {
    const pdf = join(work, "report.pdf");
    await page.emulateMedia({ media: "print" });
    await page.pdf({ path: pdf, format: "A4", printBackground: true });
    const text = execFileSync("pdftotext", ["-layout", pdf, "-"], { encoding: "utf8" });
    const lines = text.split("\n");
    for (const heading of HEADINGS) {
      if (!lines.some((l) => l.includes(heading))) fail(dir, `printed, the heading "${heading}" is missing or broken`);
    }
    const audit = summary.audit;
    const hashes = [
      audit.catalog.sha256,
      ...Object.values(audit.inputs).map((f) => f.sha256),
      ...Object.entries(audit.outputs)
        .filter(([name]) => name !== "report.html")
        .map(([, f]) => f.sha256),
    ];
    if (hashes.length < 5) fail(dir, `only ${hashes.length} hashes in summary.json audit`);
    for (const hash of hashes) {
      if (!/^[0-9a-f]{64}$/.test(hash)) fail(dir, `not a SHA-256: ${hash}`);
      if (!lines.some((l) => l.includes(hash))) fail(dir, `printed, the SHA-256 ${hash} is not whole on one line`);
    }
    const pages = (text.match(/\f/g) || []).length;
    console.log(`ok ${dir}: no console error, 1 request, axe ${axe.passes.length} rules passed, PDF ${pages} pages with ${HEADINGS.length} headings and ${hashes.length} hashes whole`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await context.close();
  }
}

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error("usage: node check.mjs OUT_DIR...");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: chromiumPath(),
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  for (const dir of dirs) {
    await check(browser, dir);
  }
} catch (e) {
  if (!process.exitCode) console.error(`FAIL: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
