// The booking form: show only the equipment standing in the chosen room. Without JavaScript the equipment
// of the chosen resource's facility shows, grouped by room, and the booking service refuses equipment from another room.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("resource-rooms");
  const select = document.getElementById("id_resource");
  const equipment = document.getElementById("div_id_equipment");
  if (!data || !select || !equipment) {
    return;
  }
  const rooms = JSON.parse(data.textContent);
  const filter = () => {
    const room = rooms[select.value];
    equipment.querySelectorAll("strong").forEach((heading) => {
      const shown = room !== undefined && heading.textContent.trim() === room;
      for (let element = heading; element && (element === heading || element.tagName !== "STRONG"); element = element.nextElementSibling) {
        element.hidden = !shown;
        if (!shown) {
          element.querySelectorAll("input").forEach((input) => { input.checked = false; });
        }
      }
    });
  };
  select.addEventListener("change", filter);
  filter();
});
