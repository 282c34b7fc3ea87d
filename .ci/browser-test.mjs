// The classroom page end to end in headless Chromium (driven by playwright-core): loads the
// page, runs the unchanged settings, moves a lever and switches on an event with the keyboard
// and mouse, runs again, waits for the charts and checks that they changed; hovers a chart for
// its values; checks the link in the address bar restores the settings. Called by
// .ci/browser-test.sh with the page's URL, Chromium's path and an optional screenshot path.
import { chromium } from "playwright-core";

const [url, executablePath, screenshot] = process.argv.slice(2);
const say = (m) => console.log(`browser test: ${m}`);
const check = (ok, m) => {
  if (!ok) throw new Error(m);
};

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1250 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // The refused run below is a 400 the page expects; any other console error is a failure.
  page.on("console", (m) => m.type() === "error" && !m.text().includes("status of 400") && errors.push(m.text()));
  const outside = [];
  page.on("request", (r) => !r.url().startsWith(url) && outside.push(r.url()));
  await page.goto(url);
  await page.waitForSelector("[data-lever=foreign_discount]");
  const levers = await page.locator("[data-lever]").count();
  say(`page loaded with ${levers} levers`);

  /** Presses Run and waits for the charts of a new run; the run's id and the charts' checksum. */
  const runAndWait = async (before) => {
    await page.click("#run");
    await page.waitForFunction(
      (prev) => document.getElementById("charts").dataset.job && document.getElementById("charts").dataset.job !== prev,
      before,
      { timeout: 240000 },
    );
    return page.evaluate(() => ({
      job: document.getElementById("charts").dataset.job,
      checksum: document.getElementById("charts").dataset.checksum,
      panels: document.querySelectorAll("#charts svg").length,
      lines: document.querySelectorAll("#charts svg polyline").length,
      zeroMileage: [...document.querySelectorAll('[data-metric=zero_mileage_exports] polyline')].map((p) => p.getAttribute("points")),
    }));
  };

  const first = await runAndWait("");
  check(first.panels === 12, `expected 12 chart panels (6 metrics x 2), found ${first.panels}`);
  say(`run ${first.job}: ${first.panels} panels, ${first.lines} lines`);

  // Move a lever with the keyboard (to the end of its teaching range) and switch on the ban.
  await page.focus("[data-lever=foreign_discount]");
  await page.keyboard.press("End");
  await page.check("[data-event=zero_mileage_ban]");
  const shown = await page.textContent("[data-lever-box=foreign_discount] .value");
  check(shown.includes("0.35"), `the lever shows ${shown}, not the end of its range`);
  const second = await runAndWait(first.job);
  check(second.checksum !== first.checksum, "the charts did not change after moving a lever");
  check(
    JSON.stringify(second.zeroMileage) !== JSON.stringify(first.zeroMileage),
    "the zero-mileage chart did not change after banning zero-mileage exports",
  );
  say(`run ${second.job}: the charts changed (checksum ${first.checksum} -> ${second.checksum})`);

  // Hover shows the month's values.
  const svg = page.locator("[data-metric=zero_mileage_exports] svg").nth(1);
  await svg.scrollIntoViewIfNeeded();
  const box = await svg.boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5);
  const tip = await page.textContent("#tooltip");
  check(await page.isVisible("#tooltip"), "no tooltip on hover");
  check(/\d{4}-\d{2}/.test(tip) && tip.includes("changed − unchanged"), `the tooltip says ${tip}`);
  say(`hover: ${tip.replace(/\s+/g, " ").slice(0, 90)}`);

  if (screenshot) {
    // The top of the page, tall enough for the exports chart, hovering the zero-mileage effect.
    await page.setViewportSize({ width: 1500, height: 1700 });
    await page.evaluate(() => window.scrollTo(0, 0));
    const at = await svg.boundingBox();
    await page.mouse.move(at.x + at.width * 0.6, at.y + at.height * 0.5);
    await page.mouse.move(at.x + at.width * 0.7, at.y + at.height * 0.5);
    await page.screenshot({ path: screenshot });
    say(`screenshot ${screenshot}`);
  }

  // The address encodes the settings: a new page from it shows the same controls.
  const link = page.url();
  check(link.includes("l.foreign_discount=0.35") && link.includes("e.zero_mileage_ban=on"), `the link is ${link}`);
  const other = await browser.newPage();
  await other.goto(link);
  await other.waitForSelector("[data-lever=foreign_discount]");
  const restored = await other.inputValue("[data-lever=foreign_discount]");
  check(restored === "0.35" && (await other.isChecked("[data-event=zero_mileage_ban]")), `the link restored ${restored}`);
  await other.close();
  say("the link restores the settings");

  // A refused value is explained next to its field.
  await page.fill("#replicates", "100000");
  await page.click("#run");
  await page.waitForFunction(() => document.querySelector('[data-field="replicates"]').textContent.length > 0);
  say(`refusal next to the field: ${await page.textContent('[data-field="replicates"]')}`);
  await page.fill("#replicates", "10");

  check(errors.length === 0, `errors in the page: ${errors.join("; ")}`);
  check(outside.length === 0, `the page loaded something from elsewhere: ${outside.join(", ")}`);
  say("PASSED");
} finally {
  await browser.close();
}
