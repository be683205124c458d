// Reports & exports: the generate forms post to the JSON API, then the page reloads to list
// the new report or export.

(() => {
  const reportForm = document.getElementById("generate-report");
  const exportForm = document.getElementById("export-calls");
  // datetime-local has no zone: the fields are labelled UTC.
  const utc = (value) => (value ? `${value.length === 16 ? `${value}:00` : value}Z` : undefined);

  function showFieldsFor(type) {
    for (const field of reportForm.querySelectorAll("[data-for]")) {
      field.hidden = field.dataset.for !== type;
    }
  }

  function reportBody(form) {
    const data = new FormData(form);
    const type = data.get("report_type");
    const body = { report_type: type };
    if (type === "daily") body.date_str = data.get("date_str");
    if (type === "weekly") body.week_start_str = data.get("week_start_str");
    if (type === "monthly") {
      const [year, month] = String(data.get("month_of")).split("-");
      body.year = Number(year);
      body.month = Number(month);
    }
    if (type === "agent") {
      body.agent_id = Number(data.get("agent_id"));
      body.date_range = { start: utc(data.get("range_start")), end: utc(data.get("range_end")) };
    }
    if (data.get("refresh")) body.refresh = true;
    return body;
  }

  function exportBody(form) {
    const data = new FormData(form);
    const body = {
      start_date: utc(data.get("start_date")),
      end_date: utc(data.get("end_date")),
      format: data.get("format"),
    };
    if (data.get("direction")) body.direction = data.get("direction");
    return body;
  }

  function submitTo(form, url, bodyOf, done) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const result = await Switchboard.api("POST", url, bodyOf(form));
        Switchboard.flash(done(result), "ok");
        setTimeout(() => window.location.reload(), 800);
      } catch (error) {
        Switchboard.flash(error.message, "error");
      } finally {
        button.disabled = false;
      }
    });
  }

  if (reportForm) {
    const select = reportForm.querySelector("#report_type");
    showFieldsFor(select.value);
    select.addEventListener("change", () => showFieldsFor(select.value));
    submitTo(reportForm, "/api/tasks/reports/generate", reportBody, (result) =>
      result.reused ? `The same report is ${result.status}.` : "Report requested.",
    );
  }
  if (exportForm) {
    submitTo(exportForm, "/api/tasks/export", exportBody, (result) => `Export ${result.status}.`);
  }
})();
