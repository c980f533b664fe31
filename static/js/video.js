// Click-to-load video: nothing is fetched from the video host until the learner asks for it.
document.querySelectorAll("[data-video-src]").forEach(function (button) {
  button.addEventListener("click", function () {
    var frame = document.createElement("iframe");
    frame.src = button.getAttribute("data-video-src");
    frame.title = button.textContent;
    frame.width = "560";
    frame.height = "315";
    frame.loading = "lazy";
    frame.allow = "encrypted-media; picture-in-picture";
    frame.setAttribute("allowfullscreen", "");
    button.replaceWith(frame);
  });
});
