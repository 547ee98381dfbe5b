// The projektleder's page: a chosen file is read in the browser into its text box (the form
// is posted as text; the server checks the size again). Without JavaScript, paste the text.
document.querySelectorAll("input[type=file][data-til]").forEach(function (input) {
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    var target = document.getElementById(input.dataset.til);
    if (!file || !target) { return; }
    if (file.size > Number(input.dataset.max)) {
      alert("Filen er for stor: højst " + Math.floor(Number(input.dataset.max) / 1024) + " kB.");
      input.value = "";
      return;
    }
    file.text().then(function (text) { target.value = text; });
  });
});
