// Sort a table.sortable by the column clicked (numbers as numbers), and keep the rows that hold
// the words typed into #filter. No network, no library: the pages stay self-contained.
document.querySelectorAll('table.sortable').forEach(function (table) {
  var body = table.tBodies[0];
  table.querySelectorAll('thead th').forEach(function (th, column) {
    th.tabIndex = 0;
    function sort() {
      var down = th.dataset.order !== 'down';
      th.dataset.order = down ? 'down' : 'up';
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].dataset.value || a.cells[column].textContent.trim();
        var y = b.cells[column].dataset.value || b.cells[column].textContent.trim();
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return down ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    th.addEventListener('click', sort);
    th.addEventListener('keydown', function (event) { if (event.key === 'Enter') sort(); });
  });
});
var filter = document.getElementById('filter');
if (filter) {
  filter.addEventListener('input', function () {
    var words = filter.value.toLowerCase();
    document.querySelectorAll('table.sortable > tbody > tr').forEach(function (row) {
      row.hidden = words !== '' && row.textContent.toLowerCase().indexOf(words) < 0;
    });
  });
}
