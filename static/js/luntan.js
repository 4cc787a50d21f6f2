// luntan: small progressive enhancements. Every form works without this file.

// Says what changed in place to screen readers (the layout's aria-live region).
function luntanAnnounce (message) {
  var region = document.getElementById('live-status')
  if (!region) return
  region.textContent = ''
  // A new text node after a tick: a region whose text is set to the same words again is not re-read.
  setTimeout(function () { region.textContent = message }, 50)
}

// Posts a form as the server's JSON API (same fields, same CSRF token); resolves to { ok, data }.
function luntanPostForm (form) {
  return fetch(form.action, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: new URLSearchParams(new FormData(form)).toString()
  }).then(function (res) {
    return res.json().then(function (data) { return { ok: res.ok, data: data } })
  })
}

;(function () {
  'use strict'
  // Features add their enhancers below, each guarded by the presence of its markup.

  // ---- 菜单 on a phone: a checkbox (it opens without this file, with Space); Enter opens it too, as on a button ----
  document.addEventListener('keydown', function (event) {
    var target = event.target
    if (event.key !== 'Enter' || !(target instanceof HTMLInputElement) || !target.classList.contains('nav-toggle')) return
    event.preventDefault()
    target.click()
  })

  // ---- 快速评论 (comments): Ctrl+Enter, posting in place, 引用, delete confirmation ----
  document.addEventListener('keydown', function (event) {
    var target = event.target
    if (!(target instanceof HTMLTextAreaElement) || target.name !== 'message') return
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && target.form) {
      event.preventDefault()
      if (typeof target.form.requestSubmit === 'function') target.form.requestSubmit()
      else target.form.submit()
    }
  })

  document.addEventListener('click', function (event) {
    var link = event.target instanceof Element ? event.target.closest('a.comment-quote') : null
    if (!link) return
    var textarea = document.getElementById('comment-message')
    if (!textarea) return // no form here (logged out, comments closed): follow the link
    event.preventDefault()
    var quote = link.getAttribute('data-quote') || ''
    textarea.value = quote + (textarea.value ? '\n' + textarea.value : '')
    textarea.focus()
    textarea.setSelectionRange(textarea.value.length, textarea.value.length)
    textarea.scrollIntoView({ block: 'center' })
  })

  // The article's visible comment count, wherever the page shows it: the info line (评论: N), the
  // section's 查看全部评论(N), the full list's （共 N 条）. The answer to a post carries it.
  function showCommentCount (count) {
    var info = document.querySelector('.article-info a[href="#comments"]')
    if (info) info.textContent = String(count)
    var all = document.querySelector('.comments-all a')
    if (all) all.textContent = '查看全部评论(' + count + ')'
    var total = document.querySelector('.comments-total')
    if (total) total.textContent = '（共 ' + count + ' 条）'
  }

  document.addEventListener('submit', function (event) {
    var form = event.target
    if (!(form instanceof HTMLFormElement)) return
    if (form.classList.contains('comment-delete')) {
      if (!window.confirm('确定要删除这条评论吗？')) event.preventDefault()
      return
    }
    if (!form.classList.contains('quick-comment-form') || !window.fetch) return
    event.preventDefault()
    var box = form.closest('.quick-comment')
    var errorBox = box ? box.querySelector('.form-error') : null
    var button = form.querySelector('button[type=submit]')
    var showError = function (message) {
      if (!errorBox) { window.alert(message); return }
      errorBox.textContent = message
      errorBox.hidden = false
    }
    if (button) button.disabled = true
    luntanPostForm(form).then(function (result) {
      if (!result.ok) { showError(result.data.error || '发表失败，请稍后再试'); return }
      if (errorBox) { errorBox.hidden = true; errorBox.textContent = '' }
      var list = form.closest('.comments') ? form.closest('.comments').querySelector('.comment-list') : null
      if (list && result.data.html) {
        var empty = list.querySelector('.comment-empty')
        if (empty) empty.remove()
        list.insertAdjacentHTML('afterbegin', result.data.html)
      }
      if (result.data.message && errorBox) { errorBox.textContent = result.data.message; errorBox.hidden = false }
      if (typeof result.data.count === 'number') showCommentCount(result.data.count)
      form.elements.message.value = ''
      luntanAnnounce(result.data.message || '评论已发表')
      var added = document.getElementById('comment-' + result.data.id)
      if (added) added.scrollIntoView({ block: 'center' })
    }).catch(function () {
      showError('网络错误，评论未能发表，请稍后再试')
    }).then(function () {
      if (button) button.disabled = false
    })
  })
})()

// ---- 表态 (reactions): submit in place and redraw the widget ----
;(function () {
  'use strict'
  document.addEventListener('submit', function (event) {
    var form = event.target
    if (!(form instanceof HTMLFormElement) || !form.classList.contains('react-form') || !window.fetch) return
    var widget = form.closest('.reactions')
    if (!widget) return
    event.preventDefault()
    luntanPostForm(form).then(function (result) {
      if (!result.ok) {
        var box = widget.querySelector('.react-error')
        if (result.data.loginUrl) { window.location.href = result.data.loginUrl; return }
        if (box) { box.textContent = result.data.error || '表态失败，请稍后再试'; box.hidden = false } else window.alert(result.data.error)
        return
      }
      widget.outerHTML = result.data.html
      var button = form.querySelector('.react-button span')
      luntanAnnounce(form.elements.kind && form.elements.kind.value === 'withdraw' ? '已撤销表态' : '已表态' + (button ? '：' + button.textContent : ''))
    }).catch(function () { form.submit() })
  })
})()

// ---- 小黑屋 (darkroom) ----
;(function () {
  'use strict'
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
