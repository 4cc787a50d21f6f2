// luntan: small progressive enhancements. Every form works without this file.
(function () {
  'use strict'
  // Features add their enhancers below, each guarded by the presence of its markup.

  // 小黑屋: the 更多 link appends the next page's rows in place instead of loading a new page.
  // The rows come from the same server-rendered page (/darkroom?before=N), so humanised times
  // and escaping stay in one place; without JavaScript the link simply opens that page.
  function enhanceDarkroomMore (link) {
    link.addEventListener('click', function (event) {
      var tbody = document.getElementById('darkroom-rows')
      if (!tbody || !window.fetch || !window.DOMParser) return
      event.preventDefault()
      if (link.getAttribute('aria-busy') === 'true') return
      link.setAttribute('aria-busy', 'true')
      fetch(link.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
        .then(function (res) {
          if (!res.ok) throw new Error('HTTP ' + res.status)
          return res.text()
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, 'text/html')
          var rows = doc.querySelectorAll('#darkroom-rows > tr')
          for (var i = 0; i < rows.length; i++) tbody.appendChild(document.importNode(rows[i], true))
          var next = doc.querySelector('a.darkroom-more')
          if (next) {
            link.href = next.getAttribute('href')
            link.removeAttribute('aria-busy')
          } else {
            link.parentNode.removeChild(link)
          }
        })
        .catch(function () { window.location.href = link.href })
    })
  }
  var darkroomMore = document.querySelector('a.darkroom-more')
  if (darkroomMore) enhanceDarkroomMore(darkroomMore)
})()
