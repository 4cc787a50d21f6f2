// 发布文章: a live side-by-side preview, the 插入分页符 button, and pictures dropped or pasted into the
// body (uploaded to POST /uploads, their Markdown line inserted at the cursor). The form works without
// this file (the 预览 submit button renders the same preview on the server; 上传图片 opens the upload page).
;(function () {
  'use strict'
  var body = document.getElementById('a-body')
  var pane = document.querySelector('[data-live-preview]')
  var form = body && body.form
  if (!body || !pane || !form) return
  var token = form.querySelector('input[name="_csrf"]')
  var timer = null
  var last = null
  pane.hidden = false
  pane.parentNode.classList.add('live')

  function render () {
    if (body.value === last) return
    last = body.value
    var data = new URLSearchParams()
    data.set('_csrf', token ? token.value : '')
    data.set('body', body.value)
    fetch('/portal/preview', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: data.toString()
    }).then(function (res) { return res.json() }).then(function (answer) {
      // The server's sanitized render (the same as the public page); a refusal as text.
      if (typeof answer.html === 'string') pane.innerHTML = answer.html
      else pane.textContent = answer.error || answer.message || '预览失败'
    }).catch(function () { pane.textContent = '预览暂时不可用' })
  }
  body.addEventListener('input', function () {
    clearTimeout(timer)
    timer = setTimeout(render, 600)
  })
  render()

  var button = document.querySelector('[data-insert-pagebreak]')
  if (button) {
    button.hidden = false
    button.addEventListener('click', function () {
      var at = body.selectionStart || body.value.length
      var text = '\n\n<!-- 分页 -->\n\n'
      body.value = body.value.slice(0, at) + text + body.value.slice(body.selectionEnd || at)
      body.focus()
      body.selectionStart = body.selectionEnd = at + text.length
      body.dispatchEvent(new Event('input'))
    })
  }

  // Pictures dropped on (or pasted into) the body: one upload at a time, each answered with its line.
  var status = document.querySelector('[data-upload-status]')
  function say (text) { if (status) { status.hidden = false; status.textContent = text } }
  function insert (text) {
    var at = body.selectionStart || body.value.length
    body.value = body.value.slice(0, at) + text + body.value.slice(body.selectionEnd || at)
    body.selectionStart = body.selectionEnd = at + text.length
    body.dispatchEvent(new Event('input'))
  }
  function upload (files) {
    var file = files.shift()
    if (!file) return
    var data = new FormData()
    data.append('alt', '')
    data.append('file', file, file.name)
    say('正在上传 ' + file.name + ' …')
    fetch('/uploads', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'x-csrf-token': token ? token.value : '' },
      body: data
    }).then(function (res) { return res.json() }).then(function (answer) {
      if (typeof answer.markdown === 'string') {
        insert('\n\n' + answer.markdown + '\n\n')
        say('已上传 ' + file.name + '，图片已插入正文')
      } else {
        say(file.name + '：' + (answer.error || '上传失败'))
      }
      upload(files)
    }).catch(function () { say('上传失败，请稍后再试或使用“上传图片”页面') })
  }
  function imagesOf (list) {
    var out = []
    for (var i = 0; list && i < list.length; i++) if (/^image\//.test(list[i].type)) out.push(list[i])
    return out
  }
  body.addEventListener('dragover', function (e) {
    if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, 'Files') !== -1) e.preventDefault()
  })
  body.addEventListener('drop', function (e) {
    var files = imagesOf(e.dataTransfer && e.dataTransfer.files)
    if (files.length === 0) return
    e.preventDefault()
    body.focus()
    upload(files)
  })
  body.addEventListener('paste', function (e) {
    var files = imagesOf(e.clipboardData && e.clipboardData.files)
    if (files.length === 0) return
    e.preventDefault()
    upload(files)
  })
})()
